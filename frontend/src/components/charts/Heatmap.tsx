import { DARK_HEAT, LIGHT_HEAT, css, heatColor, textOn } from "../../logic/heatColor";

interface Props {
  models: string[];
  /** matrix[i][j]: share of points models[i] scored against models[j]; null where they never met. */
  matrix: (number | null)[][];
}

function prefersDark(): boolean {
  return typeof matchMedia === "function" && matchMedia("(prefers-color-scheme: dark)").matches;
}

/** The model-versus-model win-rate matrix: rows win against columns; 50 % is neutral. */
export function Heatmap({ models, matrix }: Props) {
  const theme = prefersDark() ? DARK_HEAT : LIGHT_HEAT;
  return (
    <div class="heatmap" style={{ gridTemplateColumns: `minmax(90px, max-content) repeat(${models.length}, minmax(56px, 110px))` }} role="table" aria-label="Win rate of the row model against the column model">
      {/* Rows are boxes of no layout of their own (display: contents): the cells stay on the grid,
          and a table's row structure is there for a screen reader. */}
      <div class="heat-line" role="row">
        <div class="heat-corner" role="columnheader">row beats column</div>
        {models.map((model) => (
          <div key={`c-${model}`} class="heat-col" role="columnheader" title={model}>{model}</div>
        ))}
      </div>
      {models.map((row, i) => (
        <div key={`r-${row}`} class="heat-line" role="row">
          <div class="heat-row" role="rowheader" title={row}>{row}</div>
          {models.map((column, j) => {
            const rate = matrix[i]?.[j] ?? null;
            const color = heatColor(rate, theme);
            if (i === j) return <div key={j} class="heat-cell heat-self" role="cell"><span class="visually-hidden">same model</span></div>;
            if (!color || rate === null)
              return <div key={j} class="heat-cell heat-none" role="cell" title={`${row} and ${column} never met`}>·</div>;
            return (
              <div
                key={j}
                class={`heat-cell text-${textOn(color)}`}
                role="cell"
                style={{ background: css(color) }}
                title={`${row} beats ${column} ${(rate * 100).toFixed(1)}% of the time`}
              >
                {Math.round(rate * 100)}%
              </div>
            );
          })}
        </div>
      ))}
    </div>
  );
}

/** The colour key under the heatmap. */
export function HeatLegend() {
  const theme = prefersDark() ? DARK_HEAT : LIGHT_HEAT;
  const stops = [0, 0.25, 0.5, 0.75, 1].map((rate) => css(heatColor(rate, theme)!));
  return (
    <div class="heat-legend">
      <span>row loses</span>
      <span class="heat-ramp" style={{ background: `linear-gradient(90deg, ${stops.join(", ")})` }} />
      <span>row wins</span>
    </div>
  );
}
