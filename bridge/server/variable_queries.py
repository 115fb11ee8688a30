"""What each language runs to answer ``jupyter/variables``: one small entry per language.

Every query lists the user's names as a JSON array of ``{name, type, summary, size?,
shape?}`` built *inside* the kernel, bounded there (at most ``MAX_VARIABLES`` names,
summaries of at most ``SUMMARY_CHARS`` characters), so a 1 GB object never crosses the
wire. The bridge only parses that JSON; it never evaluates anything the kernel sends.

Kernels differ in how a silent request can hand data back, hence two routes:

- ``user_expression``: the query is one expression in ``user_expressions`` of an execute
  with empty code; its ``text/plain`` is the JSON. ipykernel, xeus-python and IJulia
  evaluate user expressions.
- ``display_data``: the query is the code of a silent execute that publishes the JSON as
  ``display_data`` of the private MIME type ``VARIABLES_MIME``; the bridge collects it and
  the editor never sees it. IRkernel ignores ``user_expressions`` and, for a silent
  execute, drops every output and error of the code except what is published explicitly.

Either way nothing is printed into the user's output and the execution count does not
move. A query that fails inside the kernel answers ``{"error": message}`` instead of the
array. Adding a language is one entry in ``QUERIES``, keyed by ``language_info.name`` in
lower case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

SUMMARY_CHARS = 200
MAX_VARIABLES = 1000
VARIABLES_MIME = "application/vnd.kernel-bridge.variables+json"

Route = Literal["user_expression", "display_data"]


@dataclass(frozen=True, slots=True)
class VariableQuery:
    code: str
    route: Route
    tested_with: str  # the kernels the integration tests run it against; "" if none

    @property
    def tested(self) -> bool:
        return bool(self.tested_with)


# One expression (user_expressions take expressions, not statements). Its repr is the JSON.
# reprlib bounds every summary; modules, functions, classes and IPython's own names are left out.
PYTHON = """(lambda ns, reprlib=__import__('reprlib'), json=__import__('json'), types=__import__('types'): \
type('KBVars', (), {'__repr__': (lambda r: lambda self: r)(json.dumps([dict(
    name=k, type=type(v).__name__, summary=(lambda rp: (setattr(rp, 'maxstring', %(chars)d), \
setattr(rp, 'maxother', %(chars)d), setattr(rp, 'maxlong', 60), rp.repr(v))[-1])(reprlib.Repr()),
    size=(len(v) if isinstance(v, (str, bytes, list, tuple, dict, set, frozenset)) else None),
    shape=(list(v.shape) if type(v).__module__.split('.')[0] in ('numpy', 'pandas') \
and isinstance(getattr(v, 'shape', None), tuple) else None))
    for k, v in list(ns.items())[:%(max)d]
    if not k.startswith('_') and k not in ('In', 'Out', 'exit', 'quit', 'get_ipython')
    and not isinstance(v, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type))
], default=str))})())(globals())""" % {"chars": SUMMARY_CHARS, "max": MAX_VARIABLES}

# The code of a silent execute, run in a fresh environment whose parent is base: a user's own
# `ls` or `length` in the global environment is not what it calls, and it leaves no name
# behind. The summary is the first line of str() (what RStudio's environment pane shows:
# `int [1:10] 1 2 3 ...`, `'data.frame': 3 obs. of 2 variables:`); type is the first class;
# shape is dim() where there is one, size is length() of other vectors and lists. ls()
# leaves out names starting with "."; functions are left out as in Python. jsonlite and
# IRdisplay come with IRkernel.
R = """base::local(envir = base::new.env(parent = base::baseenv()), {
  rows <- list()
  json <- tryCatch({
    for (name in utils::head(ls(envir = globalenv()), %(max)dL)) {
      value <- get(name, envir = globalenv())
      if (is.function(value)) next
      line <- tryCatch(
        utils::capture.output(utils::str(value, max.level = 0L, give.attr = FALSE, vec.len = 4L, nchar.max = %(chars)dL))[1L],
        error = function(e) paste0("<", conditionMessage(e), ">"))
      row <- list(name = name, type = class(value)[[1L]],
                  summary = substr(trimws(gsub("[[:space:]]+", " ", line)), 1L, %(chars)dL))
      if (!is.null(dim(value))) row$shape <- I(as.integer(dim(value)))
      else if (is.atomic(value) || is.list(value)) row$size <- length(value)
      rows[[length(rows) + 1L]] <- row
    }
    jsonlite::toJSON(rows, auto_unbox = TRUE)
  }, error = function(e) jsonlite::toJSON(list(error = conditionMessage(e)), auto_unbox = TRUE))
  IRdisplay::publish_mimebundle(list("%(mime)s" = as.character(json)))
})""" % {"chars": SUMMARY_CHARS, "max": MAX_VARIABLES, "mime": VARIABLES_MIME}

# One expression for IJulia's user_expressions; `Text` shows its string as is, so the
# text/plain is the JSON. Strings are escaped for JSON here (Julia's own escapes are not
# JSON). Modules, functions, types and IJulia's In/Out/ans are left out.
JULIA = r"""let kb_q = s -> string('"', join(c == '"' ? "\\\"" : c == '\\' ? "\\\\" :
        c < ' ' ? string("\\u", string(UInt32(c), base = 16, pad = 4)) : string(c) for c in s), '"'),
    kb_rows = String[]
  for kb_n in names(Main; all = true)
    kb_s = string(kb_n)
    (startswith(kb_s, '#') || startswith(kb_s, '_') || kb_n in (:ans, :In, :Out, :Base, :Core, :Main, :IJulia) ||
      !isdefined(Main, kb_n)) && continue
    kb_v = getfield(Main, kb_n)
    (kb_v isa Module || kb_v isa Function || kb_v isa Type) && continue
    kb_extra = kb_v isa AbstractArray ? string(",\"size\":", length(kb_v), ",\"shape\":[", join(size(kb_v), ","), "]") :
      kb_v isa Union{AbstractString, AbstractDict, AbstractSet, Tuple, NamedTuple} ? string(",\"size\":", length(kb_v)) : ""
    push!(kb_rows, string("{\"name\":", kb_q(kb_s), ",\"type\":", kb_q(string(typeof(kb_v))),
      ",\"summary\":", kb_q(first(sprint(show, kb_v; context = :limit => true), %(chars)d)), kb_extra, "}"))
    length(kb_rows) >= %(max)d && break
  end
  Text(string("[", join(kb_rows, ","), "]"))
end""" % {"chars": SUMMARY_CHARS, "max": MAX_VARIABLES}

QUERIES: Mapping[str, VariableQuery] = {
    "python": VariableQuery(PYTHON, "user_expression", "ipykernel, xeus-python"),
    "r": VariableQuery(R, "display_data", "IRkernel"),
    "julia": VariableQuery(JULIA, "user_expression", ""),  # IJulia: written to its docs, not run in tests
}


def query_for(language: str) -> VariableQuery | None:
    return QUERIES.get(language.lower())
