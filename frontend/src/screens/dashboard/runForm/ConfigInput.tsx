import { fieldLabel, isEdited } from "../../../logic/runForm";
import type { ConfigField } from "../../../types";

interface Props {
  field: ConfigField;
  value: string | boolean | undefined;
  error?: string;
  onChange: (value: string | boolean) => void;
}

/** One setting of a stage: a checkbox, a choice or a text box, marked when changed from its default. */
export function ConfigInput({ field, value, error, onChange }: Props) {
  const id = `cfg-${field.name}`;
  const label = <ConfigLabel field={field} value={value} />;
  if (field.type === "boolean") {
    return (
      <label class="field cfg-field cfg-bool" title={field.help}>
        {label}
        <span class="check">
          <input type="checkbox" id={id} checked={Boolean(value)} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
          {field.help}
        </span>
      </label>
    );
  }
  return (
    <label class={`field cfg-field${error ? " has-error" : ""}`} for={id}>
      {label}
      <ConfigTextInput id={id} field={field} value={value} onChange={onChange} />
      {error ? <em class="field-error">{error}</em> : <em class="cfg-help">{field.help}{field.constraint ? ` (${field.constraint})` : ""}</em>}
    </label>
  );
}

function ConfigLabel({ field, value }: { field: ConfigField; value: string | boolean | undefined }) {
  const defaultText = field.default === null ? "(none)" : String(field.default);
  return (
    <span class="cfg-label">
      {fieldLabel(field.name)}
      {isEdited(field, value) && <span class="edited-dot" title={`changed from the default ${defaultText}`} />}
    </span>
  );
}

function ConfigTextInput({ id, field, value, onChange }: Omit<Props, "error"> & { id: string }) {
  if (field.choices) {
    return (
      <select id={id} value={String(value ?? "")} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {field.nullable ? <option value="">default</option> : null}
        {field.choices.map((choice) => <option key={choice} value={choice}>{choice}</option>)}
      </select>
    );
  }
  return (
    <input
      id={id}
      inputMode={field.type === "string" || field.type === "string_list" ? "text" : "decimal"}
      value={String(value ?? "")}
      placeholder={field.nullable ? "none" : String(field.default ?? "")}
      onInput={(e) => onChange((e.currentTarget as HTMLInputElement).value)}
      data-testid={id}
    />
  );
}
