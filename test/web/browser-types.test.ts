// The page's modules are plain JavaScript (no build step), so the project's type-check does not see
// them; this compiles them with the DOM library and checkJs, the way an editor would.
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

describe('the page modules', () => {
  it('type-check against the DOM library', () => {
    const program = ts.createProgram(['src/web/public/app.js'], {
      allowJs: true,
      checkJs: true,
      noEmit: true,
      lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
    // Every module was part of the check, not just the entry.
    expect(program.getSourceFiles().filter((f) => f.fileName.includes('src/web/public/')).length).toBeGreaterThanOrEqual(12);
  });
});
