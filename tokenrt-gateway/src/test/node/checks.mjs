// What every SDK script shares: one JSON line per check, {"check": name, "ok": bool, "detail": ...}.
export async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(JSON.stringify({ check: name, ok: true, detail }));
  } catch (e) {
    console.log(JSON.stringify({ check: name, ok: false, detail: String(e && e.stack || e) }));
  }
}

export function assert(cond, msg) { if (!cond) throw new Error('assertion failed: ' + msg); }
