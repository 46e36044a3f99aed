// The reader in the browser: the pad's strokes -> a digit, a number or a blank, as
// model/reading.py reads pad ink, with the model folder's browser copy (training/export.py
// `save_browser`) run by TensorFlow.js's WebAssembly backend. Needs tf-core, tf-backend-wasm,
// ink.js and numbers.js loaded first (model/spec.py READER_SCRIPTS).
(function (global) {
  'use strict';
  const R = global.DigitReader;
  const S = R.SETTINGS;
  const {candidates, checkInk, choose, drawStrokes} = R;

  // -------------------------------------------------------------------------- the network
  async function loadNetwork(modelUrl, vendorUrl) {  // -> image (784 floats) -> 10 probabilities
    const tf = global.tf;
    if (typeof WebAssembly !== 'object' || !tf || !tf.wasm) {
      throw new Error('This browser cannot run WebAssembly, which the reader needs.');
    }
    tf.wasm.setWasmPaths(vendorUrl.replace(/\/?$/, '/'));
    if (!(await tf.setBackend('wasm'))) {
      throw new Error('TensorFlow.js could not start WebAssembly.');
    }
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

  R.load = load;
})(typeof window !== 'undefined' ? window : globalThis);
