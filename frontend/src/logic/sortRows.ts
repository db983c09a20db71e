// Sorting for the dashboard's tables: click a column to sort, click again to flip.

export type Direction = "asc" | "desc";

export interface SortState<K extends string> {
  key: K;
  direction: Direction;
}

type Cell = string | number | boolean | null | undefined;

/**
 * Rows ordered by `key`, stable; missing values (null, undefined, NaN) always last whatever
 * the direction, so a column of mostly-missing figures does not bury the real ones.
 */
export function sortRows<R, K extends string>(rows: R[], sort: SortState<K>, value: (row: R, key: K) => Cell): R[] {
  const sign = sort.direction === "asc" ? 1 : -1;
  return rows
    .map((row, index) => ({ row, index, cell: value(row, sort.key) }))
    .sort((left, right) => {
      const a = missing(left.cell) ? null : (left.cell as string | number | boolean);
      const b = missing(right.cell) ? null : (right.cell as string | number | boolean);
      if (a === null || b === null) {
        if (a === b) return left.index - right.index;
        return a === null ? 1 : -1;
      }
      const order = compare(a, b);
      return order !== 0 ? sign * order : left.index - right.index;
    })
    .map((entry) => entry.row);
}

function missing(cell: Cell): boolean {
  return cell === null || cell === undefined || (typeof cell === "number" && Number.isNaN(cell));
}

function compare(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === "string" && typeof b === "string") return a.localeCompare(b, undefined, { numeric: true });
  return Number(a) - Number(b);
}

/** The sort after a click on `key`: the same column flips; a new one starts at its natural direction. */
export function nextSort<K extends string>(current: SortState<K>, key: K, natural: Direction = "desc"): SortState<K> {
  if (current.key === key) return { key, direction: current.direction === "asc" ? "desc" : "asc" };
  return { key, direction: natural };
}
