// The pad's ink -> the 28x28 EMNIST input, drawn as model/ink.py and model/preprocess.py draw
// pad ink: the strokes with a round pen, the ink found, cropped, re-drawn at one width along
// its medial axis, blurred and framed, with Pillow's and SciPy's own arithmetic. Part of the
// reader in the browser (`DigitReader`); tests/test_reader.py holds it to the server's answers.
(function (global) {
  'use strict';
  const R = global.DigitReader = global.DigitReader || {};
  // The same settings as model/spec.py and model/preprocess.py (a test compares them).
  const SETTINGS = {
    canvas: 800, brush: 24, maxStrokes: 200, maxPoints: 5000, image: 28, border: 2,
    findSize: 128, inkLevel: 0.3, speck: 0.03, workSize: 72, strokeWidth: 8.25, blurSigma: 0.75,
  };
  const S = SETTINGS;
  const BOX = S.image - 2 * S.border;

  // -------------------------------------------------------------------------- ink
  function checkInk(strokes) {  // refused as model.ink.strokes_from_json refuses it
    if (!Array.isArray(strokes) || !strokes.every(Array.isArray)) {
      throw new Error('Ink must be a list of strokes, each a list of [x, y, t] points.');
    }
    if (strokes.length > S.maxStrokes) {
      throw new Error(`The ink has ${strokes.length} strokes; the limit is ${S.maxStrokes}.`);
    }
    const points = strokes.reduce((n, s) => n + s.length, 0);
    if (points > S.maxPoints) {
      throw new Error(`The ink has ${points.toLocaleString('en')} points; the limit is ` +
                      `${S.maxPoints.toLocaleString('en')}.`);
    }
    strokes.forEach((stroke, k) => {
      if (!stroke.length) throw new Error(`Stroke ${k + 1} has no points.`);
      for (const p of stroke) {
        if (!Array.isArray(p) || (p.length !== 2 && p.length !== 3) ||
            p.some((v) => typeof v === 'boolean')) {
          throw new Error(`Stroke ${k + 1}: each point must be [x, y] or [x, y, t].`);
        }
        if (!p.every((v) => typeof v === 'number')) {
          throw new Error(`Stroke ${k + 1}: coordinates must be numbers.`);
        }
        if (!p.every(Number.isFinite)) {
          throw new Error(`Stroke ${k + 1} has a coordinate that is NaN or infinite.`);
        }
      }
    });
  }

  // -> (h x w) Uint8Array, 255 = ink; its `rows`: the first and last row that may hold ink
  function drawStrokes(strokes, h = S.canvas, w = S.canvas) {
    const r = S.brush / 2, ink = new Uint8Array(h * w);
    let top = h, bottom = -1;
    for (const stroke of strokes) {
      const xy = stroke.map((p) => [Math.min(Math.max(p[0], 0), S.canvas),
                                    Math.min(Math.max(p[1], 0), S.canvas)]);
      for (let i = 0; i < xy.length; i++) capsule(ink, h, w, xy[Math.max(i - 1, 0)], xy[i], r);
      for (const [, y] of xy) [top, bottom] = [Math.min(top, y - r), Math.max(bottom, y + r)];
    }
    ink.rows = [Math.max(Math.floor(top), 0), Math.min(Math.ceil(bottom), h - 1)];
    return ink;
  }

  function capsule(ink, h, w, [ax, ay], [bx, by], r) {  // every pixel within r of segment ab
    const dx = bx - ax, dy = by - ay, length2 = dx * dx + dy * dy;
    const top = Math.max(Math.ceil(Math.min(ay, by) - r), 0);
    const bottom = Math.min(Math.floor(Math.max(ay, by) + r), h - 1);
    const left = Math.max(Math.ceil(Math.min(ax, bx) - r), 0);
    const right = Math.min(Math.floor(Math.max(ax, bx) + r), w - 1);
    for (let y = top; y <= bottom; y++) {
      for (let x = left; x <= right; x++) {
        const t = length2 ? Math.min(Math.max(((x - ax) * dx + (y - ay) * dy) / length2, 0), 1) : 0;
        const ex = x - ax - t * dx, ey = y - ay - t * dy;
        if (ex * ex + ey * ey <= r * r) ink[y * w + x] = 255;
      }
    }
  }

  // -------------------------------------------------------------------------- EMNIST frame
  function coarseInk(ink, h, w, step) {  // -> (ceil(h/step) x ceil(w/step)): ink in each block
    const ch = Math.ceil(h / step), cw = Math.ceil(w / step), coarse = new Uint8Array(ch * cw);
    const level = S.inkLevel * 255;
    const words = w % 4 || ink.byteOffset % 4 ? null
      : new Uint32Array(ink.buffer, ink.byteOffset, h * w / 4);
    const [first, last] = ink.rows || [0, h - 1];  // rows beyond hold no ink
    for (let y = first; y <= last; y++) {
      const row = y * w, at = Math.floor(y / step) * cw;
      for (let x = 0; x < w; x += 4) {
        if (words && !words[(row + x) >> 2]) continue;  // four pixels of paper at once
        for (let i = x; i < Math.min(x + 4, w); i++) {
          if (ink[row + i] > level) coarse[at + ((i / step) | 0)] = 1;
        }
      }
    }
    return {mask: coarse, h: ch, w: cw};
  }

  function parts(mask, h, w) {  // 8-connected parts -> {labels, boxes: [top, bottom, left, right]}
    const labels = new Int32Array(h * w), boxes = [];
    for (let start = 0; start < mask.length; start++) {
      if (!mask[start] || labels[start]) continue;
      const box = [h, -1, w, -1], stack = [start];
      labels[start] = boxes.length + 1;
      while (stack.length) {
        const at = stack.pop(), y = at / w | 0, x = at % w;
        box[0] = Math.min(box[0], y); box[1] = Math.max(box[1], y);
        box[2] = Math.min(box[2], x); box[3] = Math.max(box[3], x);
        for (let ny = Math.max(y - 1, 0); ny <= Math.min(y + 1, h - 1); ny++) {
          for (let nx = Math.max(x - 1, 0); nx <= Math.min(x + 1, w - 1); nx++) {
            const next = ny * w + nx;
            if (mask[next] && !labels[next]) { labels[next] = boxes.length + 1; stack.push(next); }
          }
        }
      }
      boxes.push(box);
    }
    return {labels, boxes};
  }

  function inkParts(ink, h, w) {  // as preprocess.ink_components: boxes of the non-speck parts
    const scale = Math.ceil(Math.max(h, w) / S.findSize), coarse = coarseInk(ink, h, w, scale);
    const least = S.speck * Math.max(coarse.h, coarse.w);
    const boxes = parts(coarse.mask, coarse.h, coarse.w).boxes
      .filter((b) => Math.max(b[1] - b[0], b[3] - b[2]) + 1 >= least);
    return {boxes, scale};
  }

  function findInk(ink, h, w, found = inkParts(ink, h, w)) {  // -> [top, bottom, left, right]
    const {boxes, scale} = found;
    if (!boxes.length) return null;
    return [Math.min(...boxes.map((b) => b[0])) * scale,
            Math.min((Math.max(...boxes.map((b) => b[1])) + 1) * scale, h),
            Math.min(...boxes.map((b) => b[2])) * scale,
            Math.min((Math.max(...boxes.map((b) => b[3])) + 1) * scale, w)];
  }

  // (h x w) Uint8Array ink -> (28 x 28) Float32Array, or null; `box`: where its ink lies
  function toEmnist(ink, h, w, box = findInk(ink, h, w)) {
    if (!box) return null;
    const [top, bottom, left, right] = box, ih = bottom - top, iw = right - left;
    const crop = new Uint8Array(ih * iw);
    for (let y = 0; y < ih; y++) {
      crop.set(ink.subarray((top + y) * w + left, (top + y) * w + right), y * iw);
    }
    const scale = S.workSize / Math.max(ih, iw);
    const wh = Math.max(1, roundHalfEven(ih * scale)), ww = Math.max(1, roundHalfEven(iw * scale));
    const work = resize(crop, ih, iw, wh, ww, wh <= ih ? BOX_FILTER : BILINEAR, true);
    const margin = Math.trunc(S.strokeWidth);
    const strokes = redrawStrokes(work.map((v) => (v >= 128 ? 1 : 0)), wh, ww, margin);
    return frame(gaussian(strokes.data, strokes.h, strokes.w, S.blurSigma), strokes.h, strokes.w);
  }

  function redrawStrokes(mask, h, w, margin) {  // as preprocess.redraw_strokes
    const ph = h + 2, pw = w + 2, padded = new Uint8Array(ph * pw);
    for (let y = 0; y < h; y++) padded.set(mask.subarray(y * w, (y + 1) * w), (y + 1) * pw + 1);
    const depth = distances(padded, ph, pw, 0);
    const ridge = new Uint8Array(ph * pw), ridgeDepths = [];
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        if (!padded[y * pw + x]) continue;
        let most = 0;
        for (let ny = Math.max(y - 1, 0); ny <= Math.min(y + 1, ph - 1); ny++) {
          for (let nx = Math.max(x - 1, 0); nx <= Math.min(x + 1, pw - 1); nx++) {
            most = Math.max(most, depth[ny * pw + nx]);
          }
        }
        if (depth[y * pw + x] >= most - 0.5) {
          ridge[y * pw + x] = 1;
          ridgeDepths.push(depth[y * pw + x]);
        }
      }
    }
    const grow = margin - 1, oh = ph + 2 * grow, ow = pw + 2 * grow;
    const out = new Float32Array(oh * ow);
    if (!ridgeDepths.length) return {data: out, h: oh, w: ow};
    const typical = median(ridgeDepths);
    const path = new Uint8Array(oh * ow);
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) {
        const d = depth[y * pw + x];
        if ((ridge[y * pw + x] && d >= typical / 2) || d >= typical) {
          path[(y + grow) * ow + x + grow] = 1;
        }
      }
    }
    const reach = distances(path, oh, ow, 1);
    const half = S.strokeWidth / 2 + 0.5;
    for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(half - reach[i], 0), 1);
    return {data: out, h: oh, w: ow};
  }

  // Exact Euclidean distance from each pixel to the nearest pixel whose value is `target`
  // (Felzenszwalb & Huttenlocher 2012), as scipy's distance_transform_edt; 0 on those pixels.
  function distances(image, h, w, target) {
    const far = 1e20, d = new Float64Array(h * w);
    for (let i = 0; i < d.length; i++) d[i] = image[i] === target ? 0 : far;
    const n = Math.max(h, w), f = new Float64Array(n), v = new Int32Array(n);
    const z = new Float64Array(n + 1);
    const pass = (count, length, at) => {
      for (let line = 0; line < count; line++) {
        for (let i = 0; i < length; i++) f[i] = d[at(line, i)];
        let k = 0;
        v[0] = 0; z[0] = -Infinity; z[1] = Infinity;
        const meet = (q) => ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
        for (let q = 1; q < length; q++) {
          let s = meet(q);
          while (s <= z[k]) {
            k--;
            s = meet(q);
          }
          k++; v[k] = q; z[k] = s; z[k + 1] = Infinity;
        }
        k = 0;
        for (let q = 0; q < length; q++) {
          while (z[k + 1] < q) k++;
          d[at(line, q)] = (q - v[k]) * (q - v[k]) + f[v[k]];
        }
      }
    };
    pass(w, h, (x, y) => y * w + x);
    pass(h, w, (y, x) => y * w + x);
    return d.map(Math.sqrt);
  }

  function gaussian(image, h, w, sigma) {  // scipy.ndimage.gaussian_filter, mode 'reflect'
    const radius = Math.trunc(4 * sigma + 0.5), weights = [];
    for (let x = -radius; x <= radius; x++) weights.push(Math.exp(-0.5 * x * x / (sigma * sigma)));
    const total = weights.reduce((a, b) => a + b);
    const kernel = weights.map((v) => v / total);
    const reflect = (i, n) => {
      for (;;) {
        if (i < 0) i = -i - 1;
        else if (i >= n) i = 2 * n - i - 1;
        else return i;
      }
    };
    const across = new Float32Array(h * w), out = new Float32Array(h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          s += kernel[k + radius] * image[reflect(y + k, h) * w + x];
        }
        across[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          s += kernel[k + radius] * across[y * w + reflect(x + k, w)];
        }
        out[y * w + x] = s;
      }
    }
    return out;
  }

  function frame(ink, h, w) {  // as preprocess.frame: centred, long side 24 px, full range
    let top = h, bottom = -1, left = w, right = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (ink[y * w + x] > 0.05) {
          top = Math.min(top, y); bottom = Math.max(bottom, y);
          left = Math.min(left, x); right = Math.max(right, x);
        }
      }
    }
    if (bottom < 0) return null;
    const ih = bottom - top + 1, iw = right - left + 1, side = Math.max(ih, iw);
    const oy = (side - ih) >> 1, ox = (side - iw) >> 1, square = new Float64Array(side * side);
    for (let y = 0; y < ih; y++) {
      for (let x = 0; x < iw; x++) square[(oy + y) * side + ox + x] = ink[(top + y) * w + left + x];
    }
    const small = resize(square, side, side, BOX, BOX, BICUBIC, false);
    const out = new Float32Array(S.image * S.image);
    for (let y = 0; y < BOX; y++) {
      for (let x = 0; x < BOX; x++) {
        out[(y + S.border) * S.image + x + S.border] = small[y * BOX + x];
      }
    }
    const peak = out.reduce((a, b) => Math.max(a, b), 0);
    if (!(peak > 0)) return null;
    return out.map((v) => Math.min(Math.max(v / peak, 0), 1));
  }

  // -------------------------------------------------------------------------- resampling
  // Pillow's Image.resize, separable, horizontal pass first: 8-bit images ('L') in fixed
  // point with 22 fractional bits, as Pillow rounds them; 32-bit float images ('F') in doubles.
  const BOX_FILTER = {support: 0.5, at: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0)};
  const BILINEAR = {support: 1, at: (x) => Math.max(0, 1 - Math.abs(x))};
  const BICUBIC = {support: 2, at: (x) => {
    const a = -0.5;
    x = Math.abs(x);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  }};
  const PRECISION = 2 ** 22;

  function coefficients(inSize, outSize, filter, bytes) {
    const scale = inSize / outSize, filterScale = Math.max(scale, 1);
    const support = filter.support * filterScale, rows = [];
    for (let i = 0; i < outSize; i++) {
      const center = (i + 0.5) * scale;
      const first = Math.max(Math.trunc(center - support + 0.5), 0);
      const last = Math.min(Math.trunc(center + support + 0.5), inSize);
      let k = [];
      for (let x = first; x < last; x++) k.push(filter.at((x - center + 0.5) / filterScale));
      const total = k.reduce((a, b) => a + b, 0);
      if (total !== 0) k = k.map((v) => v / total);
      if (bytes) k = k.map((v) => Math.trunc(v * PRECISION + (v < 0 ? -0.5 : 0.5)));
      rows.push({first, k});
    }
    return rows;
  }

  function resample(values, count, stride, step, inSize, outSize, filter, bytes) {
    const rows = coefficients(inSize, outSize, filter, bytes);
    const out = new Float64Array(count * outSize);
    for (let line = 0; line < count; line++) {
      for (let i = 0; i < outSize; i++) {
        const {first, k} = rows[i];
        let s = bytes ? PRECISION / 2 : 0;
        for (let j = 0; j < k.length; j++) s += values[line * stride + (first + j) * step] * k[j];
        out[line * outSize + i] = bytes ? Math.min(Math.max(Math.floor(s / PRECISION), 0), 255)
          : Math.fround(s);  // Pillow's 'F' images hold float32
      }
    }
    return out;
  }

  function resize(image, h, w, oh, ow, filter, bytes) {  // (h x w) -> (oh x ow), row by row
    let out = image;
    if (ow !== w) out = resample(out, h, w, 1, w, ow, filter, bytes);
    if (oh !== h) {  // columns: the result comes out column by column, then transposed
      const columns = resample(out, ow, 1, ow, h, oh, filter, bytes);
      const rows = new Float64Array(oh * ow);
      for (let x = 0; x < ow; x++) {
        for (let y = 0; y < oh; y++) rows[y * ow + x] = columns[x * oh + y];
      }
      out = rows;
    }
    return out;
  }

  function roundHalfEven(v) {  // Python's round()
    const r = Math.round(v);
    return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  function median(values) {
    const sorted = Float64Array.from(values).sort(), mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  Object.assign(R, {SETTINGS, checkInk, drawStrokes, coarseInk, parts, inkParts, findInk,
                    toEmnist});
})(typeof window !== 'undefined' ? window : globalThis);
