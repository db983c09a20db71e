// Where a dragged ranking chip lands, for a strip that wraps onto several rows (K responses no
// longer fit one row from K ≈ 8 on a laptop, or K = 5 on a phone).

/** A chip's box on screen, as getBoundingClientRect gives it. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The index among the other chips (`boxes`, in order, measured when the drag began) before which
 * a chip dropped at (x, y) lands: in the row nearest the pointer, before the first chip whose centre
 * is right of it. On one row this is ranking's dropIndex along x, wherever the pointer is in y. */
export function dropPosition(boxes: readonly Box[], x: number, y: number): number {
  const rows: number[][] = [];
  boxes.forEach((box, index) => {
    const row = rows.at(-1);
    // A chip whose top is within half a chip of the row's first starts no new row.
    if (row && Math.abs(boxes[row[0]].top - box.top) < box.height / 2) row.push(index);
    else rows.push([index]);
  });
  if (rows.length === 0) return 0;
  const distance = (row: number[]) => {
    const { top, height } = boxes[row[0]];
    return y < top ? top - y : y > top + height ? y - top - height : 0;
  };
  const nearest = rows.reduce((best, row) => (distance(row) < distance(best) ? row : best));
  return nearest[0] + nearest.filter((index) => x > boxes[index].left + boxes[index].width / 2).length;
}
