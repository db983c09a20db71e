import { describe, expect, it } from "vitest";
import { type Box, dropPosition } from "./dropPosition";
import { dropIndex } from "./ranking";

/** `count` chips 100 wide and 40 high, `perRow` to a row, 10 apart. */
function grid(count: number, perRow: number): Box[] {
  return Array.from({ length: count }, (_, i) => ({ left: (i % perRow) * 110, top: Math.floor(i / perRow) * 50, width: 100, height: 40 }));
}

describe("dropPosition", () => {
  it("is dropIndex along x on one row, wherever the pointer is in y", () => {
    const boxes = grid(4, 4);
    const midpoints = boxes.map((box) => box.left + box.width / 2);
    for (const x of [-20, 10, 60, 120, 200, 300, 500]) {
      for (const y of [-100, 20, 300]) expect(dropPosition(boxes, x, y)).toBe(dropIndex(midpoints, x));
    }
  });

  it("counts the rows above the pointer's and the chips left of it in its row", () => {
    const boxes = grid(7, 4); // rows: 0 1 2 3 / 4 5 6
    expect(dropPosition(boxes, 10, 20)).toBe(0);
    expect(dropPosition(boxes, 400, 20)).toBe(4); // end of the first row
    expect(dropPosition(boxes, 10, 70)).toBe(4); // start of the second
    expect(dropPosition(boxes, 120, 70)).toBe(5);
    expect(dropPosition(boxes, 400, 70)).toBe(7);
    expect(dropPosition(boxes, 120, 400)).toBe(5); // below the strip: its last row
    expect(dropPosition(boxes, 120, -50)).toBe(1); // above: its first
  });

  it("lands at the start with no other chips", () => {
    expect(dropPosition([], 10, 10)).toBe(0);
  });
});
