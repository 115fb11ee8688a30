"""A minimal stock pygls server: the cold-start and stuck-editor baseline.

It does what the bridge does before its first reply and nothing else: import pygls and
lsprotocol, register nothing, answer ``initialize`` from pygls' own handler, on stdio.
"""

from pygls.lsp.server import LanguageServer


def main() -> None:
    LanguageServer("bench-pygls", "0").start_io()


if __name__ == "__main__":
    main()
