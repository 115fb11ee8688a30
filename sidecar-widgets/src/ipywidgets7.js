// Stands in for ipywidgets 7's JavaScript (see build.mjs): the sidecar's manager refuses 7.x models
// before html-manager would load it.
export {};
