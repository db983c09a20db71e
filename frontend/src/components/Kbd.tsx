/** A key cap; `keys` like "Enter" or "A". */
export function Kbd({ k }: { k: string }) {
  return <kbd aria-hidden="true">{k}</kbd>;
}
