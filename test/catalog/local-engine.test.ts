import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load';
import { TESSERACT_OCR_CAPABILITIES } from '../../src/providers/tesseract/index';

describe('the local OCR engine in the catalog', () => {
  it('promises exactly what the engine can do (no PDF), so auto-routing never sends it a job it refuses', async () => {
    const catalog = await loadCatalog('catalog');
    const model = catalog.modelsById.get('tesseract-ocr/tesseract');
    expect(model?.task).toBe('ocr');
    expect(model?.capabilities).toEqual(TESSERACT_OCR_CAPABILITIES);
    expect(model?.input_modalities).not.toContain('pdf');
  });
});
