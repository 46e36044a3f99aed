// Whole numbers on the pad, read as model/segment.py reads pad ink (with model/pieces.py's
// stroke pieces): its strokes, in the order drawn, are the pieces; every run of 1 to 3 of them,
// and the whole drawing, is a candidate digit with a prior cost; the network reads them all, and
// the best chain of candidates is the number. Part of the reader in the browser (`DigitReader`).
(function (global) {
  'use strict';
  const R = global.DigitReader;
  const S = R.SETTINGS;
  const {coarseInk, drawStrokes, findInk, inkParts, parts, toEmnist} = R;
  const N = {
    workHeight: 40, longest: 3, mostPieces: 64, perDigit: 0.1, widest: 0.65, tooWide: 40,
    lowest: 0.55, tooLow: 5, apart: 10, overlap: 20, perPenCut: 0.5, oneDigit: 0.5,
    hopeless: 3, slants: [-0.6, 0.6, 49],
  };
  const [lowest, highest, count] = N.slants;  // as numpy.linspace
  const SLANTS = Array.from({length: count}, (_, i) => lowest + i * (highest - lowest) / (count - 1));
  const side = (extents, i) => extents.map((e) => e[i]);
  const span = (extents) => [Math.min(...side(extents, 0)), Math.min(...side(extents, 1)),
                             Math.max(...side(extents, 2)), Math.max(...side(extents, 3))];

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
      return [Math.min(...xs) - half, Math.min(...ys) - half,
              Math.max(...xs) + half, Math.max(...ys) + half];
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
    return {extents, line, pen: S.brush, crop};
  }

  function digitCost(pieces, pen, first, stop) {  // segment.digit_cost (no seams: pad ink)
    const [left, top, right, bottom] = span(pieces.slice(first, stop));
    const width = right - left - pen, height = bottom - top - pen;
    let cost = N.perDigit + N.tooWide * Math.max(0, width - N.widest) ** 2 +
      N.tooLow * Math.max(0, N.lowest - height) ** 2;
    for (let k = first + 1; k < stop; k++) {
      const reach = Math.max(...pieces.slice(first, k).map((e) => e[2])) - pen / 2;
      cost += N.apart * Math.max(0, (pieces[k][0] + pieces[k][2]) / 2 - reach);
    }
    return cost;
  }

  function pairCost(a, b, pen) {
    return N.overlap * (Math.max(0, a[2] - pen / 2 - (b[0] + b[2]) / 2) +
                        Math.max(0, (a[0] + a[2]) / 2 - b[0] - pen / 2));
  }

  function useful(priced, pieces, pen, n) {  // runs in some reading whose prior is not hopeless
    const runs = [...priced.keys()].map((key) => key.split(',').map(Number))
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const spans = new Map(runs.map((run) => [String(run), span(pieces.slice(run[0], run[1]))]));
    const ahead = new Map(), behind = new Map();
    for (const run of runs) {
      const key = String(run);
      if (run[0] === 0) { ahead.set(key, priced.get(key)); continue; }
      const before = runs.filter((o) => o[1] === run[0] && ahead.has(String(o)))
        .map((o) => ahead.get(String(o)) + pairCost(spans.get(String(o)), spans.get(key), pen));
      if (before.length) ahead.set(key, Math.min(...before) + priced.get(key));
    }
    for (const run of [...runs].sort((a, b) => b[0] - a[0])) {
      const key = String(run);
      if (run[1] === n) { behind.set(key, priced.get(key)); continue; }
      const after = runs.filter((o) => o[0] === run[1] && behind.has(String(o)))
        .map((o) => behind.get(String(o)) + pairCost(spans.get(key), spans.get(String(o)), pen));
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
    const unit = Math.max(cut.line - cut.pen, 1), n = strokes.length;
    const pieces = cut.extents.map((e) => e.map((v) => v / unit)), pen = cut.pen / unit;
    const longest = n <= N.mostPieces ? N.longest : 1, priced = new Map();
    for (let first = 0; first < n; first++) {
      for (let stop = first + 1; stop <= Math.min(first + longest, n); stop++) {
        priced.set(`${first},${stop}`, digitCost(pieces, pen, first, stop));
      }
    }
    priced.set(`0,${n}`, digitCost(pieces, pen, 0, n) - N.oneDigit);
    const chosen = {images: [], boxes: [], runs: [], costs: [], pieces, pen, n};
    for (const [first, stop] of useful(priced, pieces, pen, n)) {
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
    const score = probabilities.map((p, k) => Math.log(Math.max(...p, 1e-9)) - c.costs[k]);
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
          const last = digits[digits.length - 1];
          const value = total + score[k] -
            (digits.length ? pairCost(extents[last], extents[k], c.pen) : 0);
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
    const centre = (k) => c.boxes[k][0] + c.boxes[k][2];
    return [...best[1]].sort((a, b) => centre(a) - centre(b));
  }

  Object.assign(R, {NUMBERS: N, candidates, choose});
})(typeof window !== 'undefined' ? window : globalThis);
