// Kernel languages (kernelspec `language`, kernel_info's `language_info.name`) → VS Code
// language ids, so that "the running kernel's language" selects documents; and the languages
// whose files wake the extension up.

const ALIASES: Record<string, string> = {
  'c++': 'cpp',
  'cpp': 'cpp',
  'c#': 'csharp',
  'f#': 'fsharp',
  bash: 'shellscript',
  sh: 'shellscript',
  zsh: 'shellscript',
  shell: 'shellscript',
  'javascript (node.js)': 'javascript',
  node: 'javascript',
  typescript: 'typescript',
  ipython: 'python',
  python3: 'python',
  python2: 'python',
  r: 'r',
  octave: 'matlab',
  'q#': 'qsharp',
};

export function vscodeLanguageId(kernelLanguage: string): string {
  const key = kernelLanguage.trim().toLowerCase();
  return ALIASES[key] ?? key;
}

/** True if a kernelspec of `kernelLanguage` fits a document of VS Code language `languageId`. */
export function kernelFitsLanguage(kernelLanguage: string, languageId: string): boolean {
  const id = vscodeLanguageId(kernelLanguage);
  return id === languageId || (languageId === 'python' && id.startsWith('python'));
}

/**
 * VS Code language ids of the languages Jupyter kernels speak (IRkernel, IJulia, Deno and
 * tslab, bash_kernel, xeus-cling, evcxr, almond, IJava, .NET Interactive, IRuby, IHaskell…).
 * A file of one of them activates the extension (package.json's activationEvents: a unit test
 * keeps the two equal), which then starts the bridge and learns the installed kernelspecs'
 * languages (the `kernelBridge.languages` context). A kernel language missing here still works
 * once any Kernel Bridge command has run.
 */
export const KERNEL_LANGUAGE_IDS = [
  'c',
  'clojure',
  'cpp',
  'csharp',
  'dart',
  'elixir',
  'erlang',
  'fortran',
  'fsharp',
  'go',
  'groovy',
  'haskell',
  'java',
  'javascript',
  'julia',
  'kotlin',
  'lua',
  'matlab',
  'ocaml',
  'perl',
  'php',
  'powershell',
  'prolog',
  'python',
  'qsharp',
  'r',
  'racket',
  'ruby',
  'rust',
  'sas',
  'scala',
  'scheme',
  'shellscript',
  'sql',
  'stata',
  'swift',
  'typescript',
  'wolfram',
] as const;
