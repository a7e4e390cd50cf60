import { describe, expect, it } from 'vitest';
import { decodeSharedConfig, encodeSharedConfig, type SharedConfig } from './config-url';
import { DEFAULT_SETTINGS } from './settings';

const config: SharedConfig = {
  version: 1,
  model: { name: 'model.onnx', sha256: 'a'.repeat(64) },
  settings: {
    ...DEFAULT_SETTINGS,
    wbits: 3,
    abits: 8,
    calibImages: 64,
    preset: 'zero1',
    mean: [0, 0, 0],
    std: [1, 1, 1],
    seed: 7,
    firstLastBits: 6,
    epochs: 20,
    positions: 64,
    resize: 'letterbox',
    colorOrder: 'BGR',
    layers: { '/fc/Gemm': { bits: 6 }, conv1: { method: 'rtn', skip: true } },
  },
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
    expect(() => decodeSharedConfig(tampered)).toThrowError(
      "The link's configuration cannot be used: weight bits must be an integer from 2 to 8, got 12. The studio keeps its defaults.",
    );
    const badSha = encodeSharedConfig({ ...config, model: { name: 'x', sha256: 'zz' } });
    expect(() => decodeSharedConfig(badSha)).toThrowError(/model name or SHA-256 is missing/);
    expect(() => decodeSharedConfig('A'.repeat(9000))).toThrowError(/more than 8192/);
    const badLayer = encodeSharedConfig({ ...config, settings: { ...config.settings, layers: { conv: { bits: 1 } } } });
    expect(() => decodeSharedConfig(badLayer)).toThrowError(/layer "conv" has 1 bits/);
    const badStd = encodeSharedConfig({ ...config, settings: { ...config.settings, std: [1, 0, 1] } });
    expect(() => decodeSharedConfig(badStd)).toThrowError(
      "The link's configuration cannot be used: std must be three numbers above 0, got [1,0,1]. The studio keeps its defaults.",
    );
    const badMethod = encodeSharedConfig({
      ...config,
      settings: { ...config.settings, layers: { fc: { method: 'gptq' as 'rtn' } } },
    });
    expect(() => decodeSharedConfig(badMethod)).toThrowError(/layer "fc" has method "gptq"/);
  });

  it('reads links of the first format: missing settings get defaults, per-layer bits move to the layer table', () => {
    const old = {
      version: 1,
      model: config.model,
      settings: { wbits: 2, abits: 'float', method: 'mse', ecaq: false, calibImages: 16, preset: 'minus1to1', seed: 1 },
      layerBits: { fc: 8 },
    };
    const decoded = decodeSharedConfig(encodeSharedConfig(old as unknown as SharedConfig));
    expect(decoded.settings).toEqual({
      ...DEFAULT_SETTINGS,
      wbits: 2,
      abits: 'float',
      method: 'mse',
      ecaq: false,
      calibImages: 16,
      preset: 'minus1to1',
      seed: 1,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      layers: { fc: { bits: 8 } },
      // Those runs had no bias correction, no full grid, symmetric activations and one scale per tensor: the link reproduces them.
      biasCorrection: false,
      fullGrid: false,
      asymmetric: false,
      channelScales: false,
    });
    expect(DEFAULT_SETTINGS.channelScales).toBe('auto');
    for (const channelScales of [true, false, 'auto'] as const) {
      expect(
        decodeSharedConfig(encodeSharedConfig({ ...config, settings: { ...config.settings, channelScales } })).settings
          .channelScales,
      ).toBe(channelScales);
    }
    const badChannels = encodeSharedConfig({ ...config, settings: { ...config.settings, channelScales: 'sometimes' as 'auto' } });
    expect(() => decodeSharedConfig(badChannels)).toThrowError(/per-channel activation scales must be true, false or "auto"/);
    expect(DEFAULT_SETTINGS.fullGrid).toBe(true);
    expect(DEFAULT_SETTINGS.asymmetric).toBe(true);
    const badAsymmetric = encodeSharedConfig({
      ...config,
      settings: { ...config.settings, asymmetric: 1 as unknown as boolean },
    });
    expect(() => decodeSharedConfig(badAsymmetric)).toThrowError(/asymmetric activations must be true or false/);
    const badGrid = encodeSharedConfig({ ...config, settings: { ...config.settings, fullGrid: 'no' as unknown as boolean } });
    expect(() => decodeSharedConfig(badGrid)).toThrowError(/full grid must be true or false/);
    expect(DEFAULT_SETTINGS.biasCorrection).toBe(true);
    expect(DEFAULT_SETTINGS.residualCompensation).toBe(false);
    const badBias = encodeSharedConfig({
      ...config,
      settings: { ...config.settings, biasCorrection: 'yes' as unknown as boolean },
    });
    expect(() => decodeSharedConfig(badBias)).toThrowError(/bias correction must be true or false/);
    const badResidual = encodeSharedConfig({
      ...config,
      settings: { ...config.settings, residualCompensation: 1 as unknown as boolean },
    });
    expect(() => decodeSharedConfig(badResidual)).toThrowError(/residual compensation must be true or false/);
  });
});
