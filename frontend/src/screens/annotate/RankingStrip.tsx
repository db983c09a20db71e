import { useEffect, useRef, useState } from "preact/hooks";
import { type Box, dropPosition } from "../../logic/dropPosition";
import { moveItem, ordinal, rankNumbers, tiesAfterMove } from "../../logic/ranking";
import type { Letter } from "../../types";

interface Props {
  order: Letter[];
  selected: Letter | null;
  /** A few words of each response, so the strip reads without looking up. */
  snippets: Record<Letter, string>;
  active: boolean;
  onSelect: (letter: Letter) => void;
  onReorder: (from: number, to: number) => void;
  /** The letters ranked equal to the one above them (overall ranking, where the project allows ties). */
  tied?: Letter[];
  /** Given where ties are allowed: mark / unmark a response equal to the one above it. */
  onTie?: (letter: Letter) => void;
}

interface Drag {
  letter: Letter;
  from: number;
  startX: number;
  startY: number;
  /** The other chips' boxes, in order, measured when the drag began (the strip wraps onto rows). */
  boxes: Box[];
  over: number;
  moved: boolean;
}

/** The boxes of the chips other than the one at `index`. */
function boxesBesides(list: HTMLOListElement | null, index: number): Box[] {
  const chips = [...(list?.children ?? [])] as HTMLElement[];
  return chips.filter((_, i) => i !== index).map((chip) => chip.getBoundingClientRect());
}

/** A chip's drag, followed on the window (chips move in the DOM as the preview reorders, which would
 * drop a pointer capture held by one of them); a release without a move is a select. */
function useChipDrag(order: Letter[], onSelect: Props["onSelect"], onReorder: Props["onReorder"]) {
  const listRef = useRef<HTMLOListElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const onPointerDown = (event: PointerEvent, index: number) => {
    if (event.button !== 0) return;
    event.preventDefault(); // no text selection while dragging
    const boxes = boxesBesides(listRef.current, index);
    setDrag({ letter: order[index], from: index, startX: event.clientX, startY: event.clientY, boxes, over: index, moved: false });
  };
  const latest = useRef({ drag, onSelect, onReorder });
  latest.current = { drag, onSelect, onReorder };
  const dragging = drag !== null;
  useEffect(() => {
    if (!dragging) return;
    const onMove = (event: PointerEvent) => {
      const current = latest.current.drag;
      if (!current) return;
      const moved = current.moved || Math.hypot(event.clientX - current.startX, event.clientY - current.startY) > 4;
      const over = moved ? dropPosition(current.boxes, event.clientX, event.clientY) : current.from;
      if (moved !== current.moved || over !== current.over) setDrag({ ...current, moved, over });
    };
    const onUp = () => {
      const { drag: current, onSelect: select, onReorder: reorder } = latest.current;
      if (current?.moved && current.over !== current.from) reorder(current.from, current.over);
      else if (current) select(current.letter);
      setDrag(null);
    };
    const onCancel = () => setDrag(null);
    const handlers = { pointermove: onMove, pointerup: onUp, pointercancel: onCancel } as const;
    for (const [name, handler] of Object.entries(handlers)) window.addEventListener(name, handler as EventListener);
    return () => {
      for (const [name, handler] of Object.entries(handlers)) window.removeEventListener(name, handler as EventListener);
    };
  }, [dragging]);
  return { listRef, drag, onPointerDown };
}

/** Best first, left to right (then the next row, where K chips do not fit one). Drag a chip (mouse,
 * pen or touch) or select it (click, its letter, Tab then Enter or Space) and use the arrow keys;
 * where ties are allowed, "=" on a chip ranks it equal to the one above (tied chips share a rank). */
export function RankingStrip({ order, selected, snippets, active, onSelect, onReorder, tied = [], onTie }: Props) {
  const { listRef, drag, onPointerDown } = useChipDrag(order, onSelect, onReorder);
  const dragging = drag && drag.moved;
  const shown = dragging ? moveItem(order, drag.from, drag.over) : order;
  const shownTied = dragging ? tiesAfterMove(order, tied, drag.letter, shown) : tied;
  const ranks = rankNumbers(shown, shownTied);
  return (
    <ol class={`rank-strip${active ? " is-active" : ""}`} ref={listRef} aria-label="Ranking, best first">
      {shown.map((letter, index) => (
        <RankChip
          key={letter}
          letter={letter}
          rank={ranks[index]}
          tied={index > 0 && shownTied.includes(letter)}
          selected={selected === letter && active}
          lifted={Boolean(drag?.moved && drag.letter === letter)}
          snippet={snippets[letter]}
          onPointerDown={(event) => onPointerDown(event, order.indexOf(letter))}
          onSelect={() => onSelect(letter)}
          onTie={onTie && index > 0 ? () => onTie(letter) : undefined}
        />
      ))}
    </ol>
  );
}

interface ChipProps {
  letter: Letter;
  /** 1 for the best; tied chips share their group's. */
  rank: number;
  /** Ranked equal to the chip before it. */
  tied: boolean;
  selected: boolean;
  lifted: boolean;
  snippet: string;
  onPointerDown: (event: PointerEvent) => void;
  onSelect: () => void;
  onTie?: () => void;
}

function RankChip({ letter, rank, tied, selected, lifted, snippet, onPointerDown, onSelect, onTie }: ChipProps) {
  return (
    <li
      class={`rank-chip letter-${letter}${selected ? " is-selected" : ""}${lifted ? " is-dragging" : ""}${tied ? " is-tied" : ""}`}
      data-letter={letter}
      data-rank={rank}
      data-testid={`rank-chip-${letter}`}
      onPointerDown={onPointerDown}
    >
      {onTie && (
        <button
          type="button"
          class="rank-tie"
          data-testid={`rank-tie-${letter}`}
          aria-pressed={tied}
          aria-label={tied ? `Response ${letter.toUpperCase()} is ranked equal to the one above: undo` : `Rank response ${letter.toUpperCase()} equal to the one above`}
          title={tied ? "Tied with the one above (=): click to undo" : "Equal to the one above (=)"}
          onPointerDown={(event) => event.stopPropagation()}
          onClick={onTie}
        >
          =
        </button>
      )}
      <button
        type="button"
        class="rank-chip-button"
        aria-pressed={selected}
        onClick={onSelect} /* Enter or Space once Tab got here; a pointer's click selected already */
      >
        {/* Named by its text ("equal 2nd: response B", then the snippet), not an aria-label, so that
            the name holds the words shown (speech input says what it sees). */}
        <span class="rank-pos">{tied && <span class="visually-hidden">equal </span>}{ordinal(rank)}</span>
        <span class="visually-hidden">: response</span>
        <span class="rank-grip" aria-hidden="true">⋮⋮</span>
        <span class={`letter letter-${letter}`}>{letter.toUpperCase()}</span>
        {/* model text, as text (never HTML), in its own direction */}
        <span class="rank-snippet" dir="auto">{snippet}</span>
      </button>
    </li>
  );
}
