import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SETTING_KEYS, SETTINGS } from '../core/settings';
import { quiet } from '../testing/console';
import { parseCli, settingsOf, type CliOptions } from './args';
import { main } from './main';

const demo = (f: string) => new URL(`../../public/demo/${f}`, import.meta.url).pathname;

describe('bitsplit quantize: its options', () => {
  it("runs on the page's defaults with the model, --images and --out alone; --help lists every option with its default", async () => {
    const minimal = parseCli(['quantize', 'm.onnx', '--images', 'd', '--out', 'o.onnx']);
    expect('help' in minimal).toBe(false);
    expect(settingsOf(minimal as CliOptions)).toEqual(DEFAULT_SETTINGS);
    expect(minimal).toMatchObject({ report: null, batch: 32, backend: 'auto', format: 'int8' });
    const help = (parseCli(['quantize', '--help']) as { help: string }).help;
    expect(parseCli(['--help'])).toEqual({ help });
    for (const key of SETTING_KEYS) {
      const spec = SETTINGS[key];
      // The flag's line and its wrapped help, joined.
      const line = new RegExp(`\\n  --${spec.flag}[ ,][^\\n]*((\\n      [^\\n]*)*)`).exec(help)?.[0].replace(/\s+/g, ' ');
      expect(line, spec.flag).toBeDefined();
      const shown = Array.isArray(spec.default)
        ? spec.default.join(',')
        : spec.default === true
          ? 'on'
          : spec.default === false
            ? 'off'
            : String(spec.default);
      if (spec.default !== null) expect(line, spec.flag).toContain(`default: ${shown}`);
    }
    const { result, stdout } = await quiet(() => main(['--help']));
    expect(result).toBe(0);
    expect(stdout).toBe(help);
  });

  it('reads every kind of setting from its flag; a preset sets mean and std unless they are given', () => {
    const base = ['quantize', 'm.onnx', '--images', 'd', '--out', 'o.onnx'];
    const o = parseCli([
      ...base,
      '--color-order',
      'bgr',
      '--abits',
      'float',
      '--input-size',
      '48x320',
      '--no-ecaq',
      '--preset',
      'zero1',
      '--std',
      '0.5,0.5,0.5',
    ]) as CliOptions;
    expect(o).toMatchObject({
      colorOrder: 'BGR',
      abits: 'float',
      inputSize: [48, 320],
      ecaq: false,
      preset: 'zero1',
      mean: [0, 0, 0],
      std: [0.5, 0.5, 0.5],
    });
    expect(parseCli([...base, '--budget-bits', '2.5'])).toMatchObject({ budgetBits: 2.5, wbits: 3 });
    expect(parseCli([...base, '--budget-bits', '2.5', '--wbits', '2'])).toMatchObject({ budgetBits: 2.5, wbits: 2 });
  });

  it('corrects biases and uses the full grid unless --no-bias-correction / --no-full-grid say otherwise; compensates residual sums when --residual-compensation says so; per-channel scales auto, on or off', () => {
    const args = [
      'quantize',
      'm.onnx',
      '--images',
      'd',
      '--wbits',
      '4',
      '--abits',
      '8',
      '--method',
      'bitsplit',
      '--out',
      'o.onnx',
      '--report',
      'r.json',
    ];
    expect(parseCli(args)).toMatchObject({ biasCorrection: true, residualCompensation: false, fullGrid: true });
    expect(parseCli([...args, '--no-bias-correction'])).toMatchObject({
      biasCorrection: false,
      residualCompensation: false,
      fullGrid: true,
    });
    expect(parseCli([...args, '--residual-compensation'])).toMatchObject({ biasCorrection: true, residualCompensation: true });
    expect(parseCli([...args, '--no-full-grid'])).toMatchObject({ biasCorrection: true, fullGrid: false });
    // Asymmetric activation grids unless --symmetric-activations.
    expect(parseCli(args)).toMatchObject({ asymmetric: true });
    expect(parseCli([...args, '--symmetric-activations'])).toMatchObject({ asymmetric: false, fullGrid: true });
    // Per-channel activation scales where they pay, unless forced either way.
    expect(parseCli(args)).toMatchObject({ channelScales: 'auto' });
    expect(parseCli([...args, '--channel-scales'])).toMatchObject({ channelScales: true });
    expect(parseCli([...args, '--no-channel-scales'])).toMatchObject({ channelScales: false });
    expect(() => parseCli([...args, '--channel-scales', '--no-channel-scales'])).toThrow(
      /--channel-scales and --no-channel-scales contradict each other/,
    );
    // The input's layout: read from the model unless --layout says.
    expect(parseCli(args)).toMatchObject({ layout: 'auto' });
    expect(parseCli([...args, '--layout', 'nhwc'])).toMatchObject({ layout: 'NHWC' });
    expect(parseCli([...args, '--layout', 'NCHW'])).toMatchObject({ layout: 'NCHW' });
    expect(() => parseCli([...args, '--layout', 'chw'])).toThrow('--layout must be auto, NCHW or NHWC, got "chw".');
  });

  it.each([
    [
      'quantize m.onnx --images . --budget-bits 1.5 --out o',
      '--budget-bits must be a number from 2 to 8 (e.g. 3 or 2.5), got "1.5".',
    ],
    ['quantize m.onnx --images . --out o --ecaq --no-ecaq', '--ecaq and --no-ecaq contradict each other: give one.'],
    ['quantize m.onnx --images . --out o --mean 0.5,0.5', '--mean must be three numbers, got "0.5,0.5".'],
    ['quantize missing.onnx --images . --out o', 'Cannot read the model "missing.onnx".'],
    ['quantize m.onnx --images . --wbits 1 --out o', '--wbits must be an integer from 2 to 8, got "1".'],
    ['quantize m.onnx --images . --method gptq --out o', '--method must be bitsplit, mse or rtn, got "gptq".'],
    ['quantize m.onnx --out o', '--images is required.'],
    ['quantize m.onnx --images . --format fp16 --out o', '--format must be int8 or int4, got "fp16".'],
    ['quantize m.onnx --images . --input-size 224 --out o', '--input-size must look like 224x224 (height x width), got "224".'],
    [
      `quantize ${demo('model.onnx')} --images ${demo('')} --classes nope.txt --out o`,
      'Cannot read the classes file "nope.txt".',
    ],
  ])('bad input exits 2 with one line: %s', async (args, message) => {
    const { result, stderr } = await quiet(() => main(args.split(' ')));
    expect(result).toBe(2);
    expect(stderr).toBe(`bitsplit: ${message}\n`);
  });
});
