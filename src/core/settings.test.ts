import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS,
  isValidSetting,
  LEGACY_SETTINGS,
  SETTING_KEYS,
  SETTINGS,
  settingsProblem,
  type SettingSpec,
} from './settings';

describe('settings schema', () => {
  it("every default and every older links' value is valid for its own entry", () => {
    for (const key of SETTING_KEYS) {
      const spec: SettingSpec = SETTINGS[key];
      expect(isValidSetting(spec, DEFAULT_SETTINGS[key]), key).toBe(true);
      if (key in LEGACY_SETTINGS) expect(isValidSetting(spec, LEGACY_SETTINGS[key]), key).toBe(true);
    }
    expect(settingsProblem(DEFAULT_SETTINGS)).toBeNull();
    expect(LEGACY_SETTINGS).toEqual({ channelScales: false, biasCorrection: false, fullGrid: false, asymmetric: false });
  });

  it('every flag is its own, and a value out of range is named by its label with what it must be', () => {
    const flags = SETTING_KEYS.map((k) => SETTINGS[k].flag);
    expect(new Set(flags).size).toBe(flags.length);
    expect(settingsProblem({ ...DEFAULT_SETTINGS, firstLastBits: 9 })).toBe(
      'first/last layers must be an integer from 2 to 8, got 9',
    );
    expect(settingsProblem({ ...DEFAULT_SETTINGS, abits: 'half' })).toBe(
      'activation bits must be an integer from 2 to 8 or "float", got "half"',
    );
    expect(settingsProblem({ ...DEFAULT_SETTINGS, layout: 'CHW' })).toBe('input layout must be auto, NCHW or NHWC, got "CHW"');
    expect(settingsProblem({ ...DEFAULT_SETTINGS, inputSize: [0, 4] })).toBe(
      'input size must be [height, width], each an integer from 1 to 8192, got [0,4]',
    );
    expect(settingsProblem({ ...DEFAULT_SETTINGS, mean: [0, 0] })).toBe('mean must be three numbers, got [0,0]');
    expect(settingsProblem({ ...DEFAULT_SETTINGS, channelScales: 'yes' })).toBe(
      'per-channel activation scales must be true, false or "auto", got "yes"',
    );
  });

  it('says when a setting has no effect under the others', () => {
    expect(SETTINGS.channelScales.appliesWhen!({ ...DEFAULT_SETTINGS, ecaq: false })).toBe(false);
    expect(SETTINGS.channelScales.appliesWhen!({ ...DEFAULT_SETTINGS, abits: 'float' })).toBe(false);
    expect(SETTINGS.fullGrid.appliesWhen!({ ...DEFAULT_SETTINGS, method: 'rtn' })).toBe(false);
    expect(SETTINGS.fullGrid.appliesWhen!(DEFAULT_SETTINGS)).toBe(true);
  });
});
