// Kernel languages (kernelspec `language`, kernel_info's `language_info.name`) → VS Code
// language ids, so that "the running kernel's language" selects documents.

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
