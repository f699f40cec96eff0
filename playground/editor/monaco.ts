import type * as Monaco from 'monaco-editor';
import prelude from '#kernels/variant/prelude.d.ts?raw';

export type MonacoApi = typeof Monaco;

let loading: Promise<MonacoApi> | undefined;

/**
 * Loads Monaco in the browser (never during prerender: call from onMount), with its workers and
 * the variant language's typings. Type errors come from the variant compiler, not TypeScript:
 * the TS service only completes `idx.`, `vars.`, `tensors.` and shows hovers.
 */
export function loadMonaco(): Promise<MonacoApi> {
  loading ??= (async () => {
    const [monaco, { default: EditorWorker }, { default: TsWorker }] = await Promise.all([
      import('monaco-editor'),
      import('monaco-editor/editor/editor.worker?worker'),
      import('monaco-editor/language/typescript/ts.worker?worker'),
    ]);
    self.MonacoEnvironment = {
      getWorker: (_id: string, label: string) => (label === 'typescript' || label === 'javascript' ? new TsWorker() : new EditorWorker()),
    };
    const ts = monaco.typescript.typescriptDefaults;
    ts.setDiagnosticsOptions({ noSemanticValidation: true, noSyntaxValidation: true });
    ts.setCompilerOptions({ target: monaco.typescript.ScriptTarget.ES2020, lib: ['es2020'], noLib: false, allowNonTsExtensions: true });
    ts.addExtraLib(prelude, 'file:///variant-prelude.d.ts');
    // Monaco's light theme draws WGSL attributes (`@group`) in #808080, below WCAG AA contrast on white.
    monaco.editor.defineTheme('attention-lab', { base: 'vs', inherit: true, rules: [{ token: 'annotation', foreground: '5c5c5c' }], colors: {} });
    monaco.editor.setTheme('attention-lab');
    return monaco;
  })();
  return loading;
}
