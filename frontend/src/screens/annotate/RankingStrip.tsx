import { useEffect, useRef, useState } from "preact/hooks";
import { dropIndex, moveItem, ordinal } from "../../logic/ranking";
import type { Letter } from "../../types";

interface Props {
  order: Letter[];
  selected: Letter | null;
  /** A few words of each response, so the strip reads without looking up. */
  snippets: Record<Letter, string>;
  active: boolean;
  onSelect: (letter: Letter) => void;
  onReorder: (from: number, to: number) => void;
}

interface Drag {
  letter: Letter;
  from: number;
  startX: number;
  /** Centres of the other chips along x, in order, measured when the drag began. */
  midpoints: number[];
  over: number;
  moved: boolean;
}

/** Best first, left to right. Drag a chip (mouse, pen or touch) or select it and use the arrow keys. */
export function RankingStrip({ order, selected, snippets, active, onSelect, onReorder }: Props) {
  const listRef = useRef<HTMLOListElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const shown = drag && drag.moved ? moveItem(order, drag.from, drag.over) : order;

  const onPointerDown = (event: PointerEvent, index: number) => {
    if (event.button !== 0) return;
    event.preventDefault(); // no text selection while dragging
    const chips = [...(listRef.current?.children ?? [])] as HTMLElement[];
    const midpoints = chips
      .filter((_, i) => i !== index)
      .map((chip) => {
        const rect = chip.getBoundingClientRect();
        return rect.left + rect.width / 2;
      });
    setDrag({ letter: order[index], from: index, startX: event.clientX, midpoints, over: index, moved: false });
  };

  // Follow the pointer on the window: chips move in the DOM as the preview reorders,
  // which would drop a pointer capture held by one of them.
  const latest = useRef({ drag, onSelect, onReorder });
  latest.current = { drag, onSelect, onReorder };
  const dragging = drag !== null;
  useEffect(() => {
    if (!dragging) return;
    const onMove = (event: PointerEvent) => {
      const current = latest.current.drag;
      if (!current) return;
      const moved = current.moved || Math.abs(event.clientX - current.startX) > 4;
      const over = moved ? dropIndex(current.midpoints, event.clientX) : current.from;
      if (moved !== current.moved || over !== current.over) setDrag({ ...current, moved, over });
    };
    const onUp = () => {
      const { drag: current, onSelect: select, onReorder: reorder } = latest.current;
      if (current?.moved && current.over !== current.from) reorder(current.from, current.over);
      else if (current) select(current.letter);
      setDrag(null);
    };
    const onCancel = () => setDrag(null);
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onUp);
    window.addEventListener("pointercancel", onCancel);
    return () => {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onUp);
      window.removeEventListener("pointercancel", onCancel);
    };
  }, [dragging]);

  return (
    <ol class={`rank-strip${active ? " is-active" : ""}`} ref={listRef} aria-label="Ranking, best first">
      {shown.map((letter, index) => {
        const lifted = drag?.moved && drag.letter === letter;
        return (
          <li
            key={letter}
            class={`rank-chip letter-${letter}${selected === letter && active ? " is-selected" : ""}${lifted ? " is-dragging" : ""}`}
            data-letter={letter}
            data-testid={`rank-chip-${letter}`}
            onPointerDown={(event) => onPointerDown(event, order.indexOf(letter))}
          >
            <button
              type="button"
              class="rank-chip-button"
              aria-pressed={selected === letter && active}
              aria-label={`${ordinal(index + 1)}: response ${letter.toUpperCase()}`}
              onKeyDown={(event) => event.key === " " && onSelect(letter)}
            >
              <span class="rank-pos">{ordinal(index + 1)}</span>
              <span class="rank-grip" aria-hidden="true">⋮⋮</span>
              <span class={`letter letter-${letter}`}>{letter.toUpperCase()}</span>
              <span class="rank-snippet">{snippets[letter]}</span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}
