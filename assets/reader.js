// The browser reader: the pad's ink -> the 28x28 EMNIST input -> the network's ten probabilities,
// drawn as model/ink.py and model/preprocess.py draw pad ink, and run with TensorFlow.js's
// WebAssembly backend on the model folder's browser copy (training/export.py `save_browser`).
// tests/test_reader.py holds it to the server's answers. Plain script: `DigitReader` global.
(function (global) {
  'use strict';
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

  function drawStrokes(strokes, h = S.canvas, w = S.canvas) {  // -> (h x w) Uint8Array, 255 = ink
    const r = S.brush / 2, ink = new Uint8Array(h * w);
    for (const stroke of strokes) {
      const xy = stroke.map((p) => [Math.min(Math.max(p[0], 0), S.canvas),
                                    Math.min(Math.max(p[1], 0), S.canvas)]);
      for (let i = 0; i < xy.length; i++) capsule(ink, h, w, xy[Math.max(i - 1, 0)], xy[i], r);
    }
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
    for (let y = 0; y < h; y++) {
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
    for (let y = 0; y < ih; y++) crop.set(ink.subarray((top + y) * w + left, (top + y) * w + right), y * iw);
    const scale = S.workSize / Math.max(ih, iw);
    const wh = Math.max(1, roundHalfEven(ih * scale)), ww = Math.max(1, roundHalfEven(iw * scale));
    const work = resize(crop, ih, iw, wh, ww, wh <= ih ? BOX_FILTER : BILINEAR, true);
    const margin = Math.trunc(S.strokeWidth);
    const strokes = redrawStrokes(work.map((v) => (v >= 128 ? 1 : 0)), wh, ww, margin);
    return frame(gaussian(strokes.data, strokes.h, strokes.w, S.blurSigma), strokes.h, strokes.w);
  }

  function redrawStrokes(mask, h, w, margin) {  // as preprocess.redraw_strokes
    const ph = h + 2, pw = w + 2, padded = new Uint8Array(ph * pw);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) padded[(y + 1) * pw + x + 1] = mask[y * w + x];
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
        if (depth[y * pw + x] >= most - 0.5) { ridge[y * pw + x] = 1; ridgeDepths.push(depth[y * pw + x]); }
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
        if ((ridge[y * pw + x] && d >= typical / 2) || d >= typical) path[(y + grow) * ow + x + grow] = 1;
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
    const n = Math.max(h, w), f = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
    const pass = (count, length, at) => {
      for (let line = 0; line < count; line++) {
        for (let i = 0; i < length; i++) f[i] = d[at(line, i)];
        let k = 0;
        v[0] = 0; z[0] = -Infinity; z[1] = Infinity;
        for (let q = 1; q < length; q++) {
          let s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
          while (s <= z[k]) { k--; s = ((f[q] + q * q) - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]); }
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
        for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * image[reflect(y + k, h) * w + x];
        across[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * across[y * w + reflect(x + k, w)];
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
      for (let x = 0; x < BOX; x++) out[(y + S.border) * S.image + x + S.border] = small[y * BOX + x];
    }
    const peak = out.reduce((a, b) => Math.max(a, b), 0);
    if (!(peak > 0)) return null;
    return out.map((v) => Math.min(Math.max(v / peak, 0), 1));
  }

  // -------------------------------------------------------------------------- whole numbers
  // As model/segment.py reads pad ink: its strokes, in the order drawn, are the pieces; every
  // run of 1 to 3 of them, and the whole drawing, is a candidate digit with a prior cost; the
  // network reads the candidates, and the best chain of them is the number.
  const N = {
    workHeight: 40, longest: 3, mostPieces: 64, perDigit: 0.1, widest: 0.65, tooWide: 40,
    lowest: 0.55, tooLow: 5, apart: 10, overlap: 20, perStrokeCut: 0.5, oneDigit: 0.5,
    hopeless: 3, slants: [-0.6, 0.6, 49],
  };
  const SLANTS = Array.from({length: N.slants[2]},
                            (_, i) => N.slants[0] + i * (N.slants[1] - N.slants[0]) / (N.slants[2] - 1));
  const span = (extents) => [Math.min(...extents.map((e) => e[0])), Math.min(...extents.map((e) => e[1])),
                             Math.max(...extents.map((e) => e[2])), Math.max(...extents.map((e) => e[3]))];

  function estimateSlant({mask, h, w}) {  // the shear that makes the ink's parts narrowest
    const {labels, boxes} = parts(mask, h, w);
    const rows = boxes.map(() => new Map());  // per part: row -> [leftmost, rightmost]
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const label = labels[y * w + x];
        if (!label) continue;
        const row = rows[label - 1].get(y);
        if (row) row[1] = x; else rows[label - 1].set(y, [x, x]);
      }
    }
    let best = 0, least = Infinity;
    for (const slant of SLANTS) {
      let total = 0;
      for (const part of rows) {
        let left = Infinity, right = -Infinity;
        for (const [y, [a, b]] of part) {
          const shift = slant * (y - h / 2);
          left = Math.min(left, a + shift);
          right = Math.max(right, b + shift);
        }
        total += right - left;
      }
      if (total < least) [best, least] = [slant, total];
    }
    return best;
  }

  function strokePieces(ink, strokes, step) {  // as model.pieces.stroke_pieces
    const slant = estimateSlant(coarseInk(ink, S.canvas, S.canvas, step));
    const centre = S.canvas / 2, half = S.brush / 2;
    const points = strokes.map((s) => s.map((p) => [Math.min(Math.max(p[0], 0), S.canvas),
                                                    Math.min(Math.max(p[1], 0), S.canvas)]));
    const extents = points.map((s) => {
      const xs = s.map(([x, y]) => x + slant * (y - centre)), ys = s.map(([, y]) => y);
      return [Math.min(...xs) - half, Math.min(...ys) - half, Math.max(...xs) + half, Math.max(...ys) + half];
    });
    let line = 1;
    for (let k = 0; k < strokes.length; k++) {
      const [, top, , bottom] = span(extents.slice(k, k + N.longest));
      line = Math.max(line, bottom - top);
    }
    const crop = (first, stop) => {
      const all = points.slice(first, stop).flat();
      const left = Math.max(Math.floor(Math.min(...all.map((p) => p[0])) - half), 0);
      const top = Math.max(Math.floor(Math.min(...all.map((p) => p[1])) - half), 0);
      const right = Math.min(Math.ceil(Math.max(...all.map((p) => p[0])) + half), S.canvas);
      const bottom = Math.min(Math.ceil(Math.max(...all.map((p) => p[1])) + half), S.canvas);
      const moved = points.slice(first, stop).map((s) => s.map(([x, y]) => [x - left, y - top]));
      const h = bottom - top, w = right - left;
      return {image: toEmnist(drawStrokes(moved, h, w), h, w), box: [left, top, right, bottom]};
    };
    return {extents, line, stroke: S.brush, crop};
  }

  function digitCost(pieces, stroke, first, stop) {  // segment.digit_cost (no seams: pad ink)
    const [left, top, right, bottom] = span(pieces.slice(first, stop));
    const width = right - left - stroke, height = bottom - top - stroke;
    let cost = N.perDigit + N.tooWide * Math.max(0, width - N.widest) ** 2 +
      N.tooLow * Math.max(0, N.lowest - height) ** 2;
    for (let k = first + 1; k < stop; k++) {
      const reach = Math.max(...pieces.slice(first, k).map((e) => e[2])) - stroke / 2;
      cost += N.apart * Math.max(0, (pieces[k][0] + pieces[k][2]) / 2 - reach);
    }
    return cost;
  }

  function pairCost(a, b, stroke) {
    return N.overlap * (Math.max(0, a[2] - stroke / 2 - (b[0] + b[2]) / 2) +
                        Math.max(0, (a[0] + a[2]) / 2 - b[0] - stroke / 2));
  }

  function useful(priced, pieces, stroke, n) {  // runs in some reading whose prior is not hopeless
    const runs = [...priced.keys()].map((key) => key.split(',').map(Number))
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const spans = new Map(runs.map((run) => [String(run), span(pieces.slice(run[0], run[1]))]));
    const ahead = new Map(), behind = new Map();
    for (const run of runs) {
      const key = String(run);
      if (run[0] === 0) { ahead.set(key, priced.get(key)); continue; }
      const before = runs.filter((o) => o[1] === run[0] && ahead.has(String(o)))
        .map((o) => ahead.get(String(o)) + pairCost(spans.get(String(o)), spans.get(key), stroke));
      if (before.length) ahead.set(key, Math.min(...before) + priced.get(key));
    }
    for (const run of [...runs].sort((a, b) => b[0] - a[0])) {
      const key = String(run);
      if (run[1] === n) { behind.set(key, priced.get(key)); continue; }
      const after = runs.filter((o) => o[0] === run[1] && behind.has(String(o)))
        .map((o) => behind.get(String(o)) + pairCost(spans.get(key), spans.get(String(o)), stroke));
      if (after.length) behind.set(key, Math.min(...after) + priced.get(key));
    }
    const total = runs.filter((r) => ahead.has(String(r)) && behind.has(String(r)))
      .map((r) => [r, ahead.get(String(r)) + behind.get(String(r)) - priced.get(String(r))]);
    const least = total.length ? Math.min(...total.map(([, cost]) => cost)) : 0;
    const limit = least <= N.hopeless ? N.hopeless : least + N.hopeless;
    return total.filter(([, cost]) => cost <= limit).map(([run]) => run)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }

  function candidates(ink, strokes) {  // as segment.candidates for pad ink; null if blank
    const found = inkParts(ink, S.canvas, S.canvas), box = findInk(ink, S.canvas, S.canvas, found);
    if (!box) return null;
    const line0 = Math.max(...found.boxes.map((b) => b[1] - b[0] + 1)) * found.scale;
    const cut = strokePieces(ink, strokes, Math.max(1, Math.floor(line0 / N.workHeight)));
    const unit = Math.max(cut.line - cut.stroke, 1), n = strokes.length;
    const pieces = cut.extents.map((e) => e.map((v) => v / unit)), stroke = cut.stroke / unit;
    const longest = n <= N.mostPieces ? N.longest : 1, priced = new Map();
    for (let first = 0; first < n; first++) {
      for (let stop = first + 1; stop <= Math.min(first + longest, n); stop++) {
        priced.set(`${first},${stop}`, digitCost(pieces, stroke, first, stop));
      }
    }
    priced.set(`0,${n}`, digitCost(pieces, stroke, 0, n) - N.oneDigit);
    const chosen = {images: [], boxes: [], runs: [], costs: [], pieces, stroke, n};
    for (const [first, stop] of useful(priced, pieces, stroke, n)) {
      const whole = first === 0 && stop === n;
      const {image, box: where} = whole
        ? {image: toEmnist(ink, S.canvas, S.canvas, box), box: [box[2], box[0], box[3], box[1]]}
        : cut.crop(first, stop);
      if (!image) continue;
      chosen.images.push(image); chosen.boxes.push(where);
      chosen.runs.push([first, stop]); chosen.costs.push(priced.get(`${first},${stop}`));
    }
    return chosen.images.length ? chosen : null;
  }

  function choose(c, probabilities) {  // segment.Candidates.choose -> the digits read, in order
    const score = probabilities.map((p, k) => Math.log(Math.max(Math.max(...p), 1e-9)) - c.costs[k]);
    const extents = c.runs.map(([first, stop]) => span(c.pieces.slice(first, stop)));
    const index = new Map(c.runs.map((run, k) => [String(run), k]));
    const ending = Array.from({length: c.n + 1}, () => []);
    ending[0] = [[0, []]];
    const held = new Uint8Array(c.n);
    for (const [first, stop] of c.runs) held.fill(1, first, stop);
    for (let stop = 1; stop <= c.n; stop++) {
      if (!held[stop - 1]) { ending[stop] = ending[stop - 1]; continue; }
      for (let first = Math.max(0, stop - N.longest); first < stop; first++) {
        const k = index.get(`${first},${stop}`);
        if (k === undefined || !ending[first].length) continue;
        let best = null;
        for (const [total, digits] of ending[first]) {
          const value = total + score[k] -
            (digits.length ? pairCost(extents[digits[digits.length - 1]], extents[k], c.stroke) : 0);
          if (!best || value > best[0]) best = [value, [...digits, k]];
        }
        ending[stop].push(best);
      }
    }
    const whole = index.get(`0,${c.n}`);
    if (whole !== undefined) ending[c.n].push([score[whole], [whole]]);
    if (!ending[c.n].length) return [score.indexOf(Math.max(...score))];
    let best = ending[c.n][0];
    for (const option of ending[c.n]) if (option[0] > best[0]) best = option;
    return [...best[1]].sort((a, b) => (c.boxes[a][0] + c.boxes[a][2]) - (c.boxes[b][0] + c.boxes[b][2]));
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
      const columns = resample(out, ow, 1, ow, h, oh, filter, bytes), rows = new Float64Array(oh * ow);
      for (let x = 0; x < ow; x++) for (let y = 0; y < oh; y++) rows[y * ow + x] = columns[x * oh + y];
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

  // -------------------------------------------------------------------------- the network
  async function loadNetwork(modelUrl, vendorUrl) {  // -> image (784 floats) -> 10 probabilities
    const tf = global.tf;
    if (typeof WebAssembly !== 'object' || !tf || !tf.wasm) {
      throw new Error('This browser cannot run WebAssembly, which the reader needs.');
    }
    tf.wasm.setWasmPaths(vendorUrl.replace(/\/?$/, '/'));
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js could not start WebAssembly.');
    const about = await (await fetch(`${modelUrl}/network.json`)).json();
    const blob = await (await fetch(`${modelUrl}/weights.bin`)).arrayBuffer();
    const networks = about.networks.map((layers) => layers.map((layer) => {
      if (layer.op === 'pool') return layer;
      const out = layer.shape[layer.shape.length - 1], size = layer.shape.reduce((a, b) => a * b);
      const scales = new Float32Array(blob, layer.offset, out);
      const quantised = new Int8Array(blob, layer.offset + 8 * out, size);
      const kernel = Float32Array.from(quantised, (q, i) => q * scales[i % out]);
      return {...layer, kernel: tf.tensor(kernel, layer.shape),
              bias: tf.tensor1d(new Float32Array(blob, layer.offset + 4 * out, out))};
    }));
    return (images) => tf.tidy(() => {  // n images, one after another -> n x 10, likewise
      const n = images.length / (S.image * S.image);
      const input = tf.tensor4d(images, [n, S.image, S.image, 1]);
      const each = networks.map((layers) => {
        let x = input;
        for (const layer of layers) {
          const activation = layer.relu ? 'relu' : 'linear';
          if (layer.op === 'pool') x = tf.maxPool(x, 2, 2, 'valid');
          else if (layer.op === 'conv') {
            x = tf.fused.conv2d({x, filter: layer.kernel, strides: 1, pad: layer.padding,
                                 bias: layer.bias, activation});
          } else {
            x = tf.fused.matMul({a: tf.reshape(x, [n, -1]), b: layer.kernel, bias: layer.bias,
                                 activation});
          }
        }
        return tf.softmax(x);
      });
      return tf.div(tf.addN(each), each.length).dataSync();
    });
  }

  // -------------------------------------------------------------------------- the reader
  async function load({model = 'model', vendor = 'vendor/tfjs'} = {}) {
    const network = await loadNetwork(model, vendor);
    const classify = (images) => {  // [(784) Float32Array, ...] -> [(10) Float32Array, ...]
      const flat = new Float32Array(images.length * S.image * S.image);
      images.forEach((image, k) => flat.set(image, k * S.image * S.image));
      const all = network(flat);
      return images.map((_, k) => all.subarray(10 * k, 10 * k + 10));
    };
    classify([new Float32Array(S.image * S.image)]);  // warm up: the first call compiles
    return {
      // Strokes ([[[x, y, t], ...], ...] on the pad) -> a digit {digit, probabilities, image},
      // a number {number, confidence, digits: [{digit, probabilities, image, box}], and its
      // first digit's}, or a blank {digit: null, probabilities: null, image: null}.
      read(strokes) {
        checkInk(strokes);
        const found = strokes.length ? candidates(drawStrokes(strokes), strokes) : null;
        if (!found) return {digit: null, probabilities: null, image: null};
        const probabilities = classify(found.images);
        const digits = choose(found, probabilities).map((k) => ({
          digit: argmax(probabilities[k]), probabilities: probabilities[k],
          image: found.images[k], box: found.boxes[k]}));
        if (digits.length === 1) {
          const {digit, probabilities: p, image} = digits[0];
          return {digit, probabilities: p, image};
        }
        const confidence = digits.reduce((c, d) => c * d.probabilities[d.digit], 1);
        return {...digits[0], box: undefined, number: digits.map((d) => d.digit).join(''),
                confidence, digits};
      },
      probabilities: (image) => classify([image])[0],
    };
  }

  const argmax = (p) => p.indexOf(Math.max(...p));

  global.DigitReader = {SETTINGS, NUMBERS: N, load, checkInk, drawStrokes, toEmnist};
})(typeof window !== 'undefined' ? window : globalThis);
