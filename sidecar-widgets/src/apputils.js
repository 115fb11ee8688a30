// Stands in for @jupyterlab/apputils' index (see build.mjs): the two modules the rendermime
// registry and the output area use, from their own files.
export { Sanitizer } from "@jupyterlab/apputils/lib/sanitizer";
export { WidgetTracker } from "@jupyterlab/apputils/lib/widgettracker";
