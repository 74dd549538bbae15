// Loads the module (argument: the .wasm file), runs `sine` on each of the
// host's inputs and compares the output with the host's bit for bit. Exits 1
// on any difference, 2 if the module carries no inputs.
import { readFileSync } from "node:fs";

const bytes = readFileSync(process.argv[2]);
const { instance } = await WebAssembly.instantiate(bytes, {});
const m = instance.exports;
const view = new DataView(new ArrayBuffer(4));
const toF32 = (bits) => { view.setUint32(0, bits >>> 0); return view.getFloat32(0); };
const toBits = (x) => { view.setFloat32(0, x); return view.getUint32(0); };
const hex = (b) => "0x" + b.toString(16).padStart(8, "0");

const n = m.host_points();
let same = 0;
for (let i = 0; i < n; i++) {
  const x = toF32(m.host_x(i));
  const got = toBits(m.sine(x));
  const want = m.host_y(i) >>> 0;
  if (got === want) same++;
  else console.log(`x ${x}: wasm ${hex(got)} (${toF32(got)}), host ${hex(want)} (${toF32(want)})`);
}
console.log(`wasm sine: ${same}/${n} outputs bit-identical to the host's (${bytes.length} B module)`);
process.exit(n === 0 ? 2 : same === n ? 0 : 1);
