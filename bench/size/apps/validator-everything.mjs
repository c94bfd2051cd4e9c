// Everything the validator exports, as an app that cannot tree-shake it would ship it.
export * from "@graph-invite/validator";
