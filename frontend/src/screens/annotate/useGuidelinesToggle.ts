import { useState } from "preact/hooks";

/** The widest screen that gets the phone layout (annotate.css's breakpoint). */
const PHONE_WIDTH = 720;

/** Guidelines start open on a project's first visit; after that the annotator's choice sticks
 * (on phones they start closed: there they are a sheet that covers the comparison). */
export function useGuidelinesToggle(projectId: number): [boolean, (open: boolean) => void] {
  const key = `preference-studio:guidelines-open:${projectId}`;
  const [open, setOpen] = useState(() => {
    if (window.innerWidth <= PHONE_WIDTH) return false; // a sheet over the comparison: opened on demand
    try {
      const stored = localStorage.getItem(key);
      return stored === null ? window.innerWidth >= 1280 : stored === "1";
    } catch {
      return false;
    }
  });
  const set = (value: boolean) => {
    setOpen(value);
    try {
      localStorage.setItem(key, value ? "1" : "0");
    } catch {
      // private mode: the choice lasts for this page only
    }
  };
  return [open, set];
}
