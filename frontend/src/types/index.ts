// Mirrors the JSON the Django API returns, one module per domain. Names match the API field for
// field (the wire keeps `task_type` and the `next-task` route; the code says comparison kind and
// comparison). Import from "../types"; the domain modules are an organisation, not an API.

export type * from "./annotation";
export type * from "./comparison";
export type * from "./exports";
export type * from "./overview";
export type * from "./project";
export type * from "./review";
export type * from "./rewardReport";
export type * from "./stats";
export type * from "./training";
