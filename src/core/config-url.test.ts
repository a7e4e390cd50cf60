import { describe, expect, it } from 'vitest';
import { decodeSharedConfig, encodeSharedConfig, type SharedConfig } from './config-url';

const config: SharedConfig = {
  version: 1,
  model: { name: 'model.onnx', sha256: 'a'.repeat(64) },
  settings: { wbits: 3, abits: 8, method: 'bitsplit', ecaq: true, calibImages: 64, preset: 'zero1', seed: 7 },
  layerBits: { '/fc/Gemm': 6 },
};

describe('shared configuration in the URL', () => {
  it('round-trips, compressed', () => {
    const text = encodeSharedConfig(config);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSharedConfig(text)).toEqual(config);
  });

  it('refuses malformed, tampered and oversized links with the reason', () => {
    expect(() => decodeSharedConfig('not-a-config')).toThrowError(/not a compressed studio configuration/);
    const tampered = encodeSharedConfig({ ...config, settings: { ...config.settings, wbits: 12 } });
    expect(() => decodeSharedConfig(tampered)).toThrowError('The link\'s configuration cannot be used: weight bits 12 are not 2 to 8. The studio keeps its defaults.');
    const badSha = encodeSharedConfig({ ...config, model: { name: 'x', sha256: 'zz' } });
    expect(() => decodeSharedConfig(badSha)).toThrowError(/model name or SHA-256 is missing/);
    expect(() => decodeSharedConfig('A'.repeat(9000))).toThrowError(/more than 8192/);
    const badLayer = encodeSharedConfig({ ...config, layerBits: { conv: 1 } });
    expect(() => decodeSharedConfig(badLayer)).toThrowError(/layer "conv" has 1 bits/);
  });
});
