// A tiny test runner for the browser client's modules, run in Chromium by
// tests/browser/test_js_units.py: test() registers, run() runs each in turn and reports
// {file, name, ok, message}. No framework, no build step, no Node.

const registered = [];
let file = null;

/** Register a test of the file being imported (see load()). */
export function test(name, fn) {
  registered.push({ file, name, fn });
}

/** Import each test file in turn, so every test knows which file it came from. */
export async function load(paths) {
  for (const path of paths) {
    file = path.split("/").pop();
    await import(path);
  }
  file = null;
}

export async function run() {
  const results = [];
  for (const { file, name, fn } of registered) {
    try {
      await fn();
      results.push({ file, name, ok: true, message: "" });
    } catch (error) {
      const message = error instanceof Error ? error.stack || error.message : String(error); // the stack starts with the message
      results.push({ file, name, ok: false, message });
    }
  }
  return results;
}

// Assertions ---------------------------------------------------------------------------------

export class AssertionError extends Error {}

const show = (value) => {
  try { return JSON.stringify(value) ?? String(value); } catch { return String(value); }
};

export function ok(value, message = "expected a true value") {
  if (!value) throw new AssertionError(`${message} (got ${show(value)})`);
}

export function equal(actual, expected, message = "") {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

/** Equal as JSON: plain objects, arrays, strings, numbers (not NaN, not -0), null. */
export function deepEqual(actual, expected, message = "") {
  if (show(actual) !== show(expected)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`);
  }
}

export function near(actual, expected, tolerance = 1e-9, message = "") {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new AssertionError(`${message ? message + ": " : ""}expected ${expected} ± ${tolerance}, got ${show(actual)}`);
  }
}
