#!/usr/bin/env node
// Draws build/icon.png (512×512): an indigo rounded square with three white claw marks. Pure Node
// (zlib + a hand-built PNG), so the icon can be regenerated anywhere. electron-builder derives the
// .icns and .ico from this PNG when it builds installers.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const S = 512;
const SS = 3; // supersampling per axis

function crcTable() {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}
const TABLE = crcTable();
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

function inRoundedSquare(x, y) {
  const r = 110,
    m = 16;
  const cx = Math.min(Math.max(x, m + r), S - m - r);
  const cy = Math.min(Math.max(y, m + r), S - m - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= m && x <= S - m && y >= m && y <= S - m;
}

// A claw mark: a thick curved stroke, thinner at both ends.
function inClaw(x, y, offset) {
  const t = (y - 110) / 300;
  if (t < 0 || t > 1) return false;
  const center = 150 + offset + 90 * t + 40 * Math.sin(t * Math.PI);
  const half = 26 * Math.sin(t * Math.PI) + 2;
  return Math.abs(x - center) <= half;
}

const raw = Buffer.alloc(S * (S * 4 + 1));
for (let y = 0; y < S; y++) {
  raw[y * (S * 4 + 1)] = 0;
  for (let x = 0; x < S; x++) {
    let bg = 0,
      claw = 0;
    for (let sy = 0; sy < SS; sy++)
      for (let sx = 0; sx < SS; sx++) {
        const px = x + (sx + 0.5) / SS,
          py = y + (sy + 0.5) / SS;
        if (inRoundedSquare(px, py)) {
          bg++;
          if (inClaw(px, py, 0) || inClaw(px, py, 85) || inClaw(px, py, 170)) claw++;
        }
      }
    const n = SS * SS;
    const a = bg / n,
      w = bg ? claw / bg : 0;
    // Indigo gradient (top-left lighter) blended with white claws.
    const g = (x + y) / (2 * S);
    const base = [Math.round(92 - 40 * g), Math.round(98 - 45 * g), Math.round(230 - 60 * g)];
    const o = y * (S * 4 + 1) + 1 + x * 4;
    raw[o] = Math.round(base[0] * (1 - w) + 255 * w);
    raw[o + 1] = Math.round(base[1] * (1 - w) + 255 * w);
    raw[o + 2] = Math.round(base[2] * (1 - w) + 255 * w);
    raw[o + 3] = Math.round(255 * a);
  }
}

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(S, 0);
ihdr.writeUInt32BE(S, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = join(dirname(fileURLToPath(import.meta.url)), 'icon.png');
writeFileSync(out, png);
console.log(`make-icon: ${out} (${png.length} bytes)`);
