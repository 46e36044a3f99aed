// The static page (python -m deploy --static): the main page's ink pad (assets/inkpad.js, run
// here as Gradio runs it, with `element`, `props`, `watch` and `trigger`), read by the reader in
// the browser (assets/reader/); a bar chart of the ten probabilities, the 28x28 input, and
// held-out TEST samples read by the same network. Every file is static: no server reads.
'use strict';
const pad = document.querySelector('#sketchpad');
const settings = JSON.parse(pad.dataset.settings);
const status = document.querySelector('#reader-status');
const note = document.querySelector('#note');
const prompt = note.textContent;
const percent = (p) => `${Math.round(100 * p)}%`;

function show(reading, message) {  // a reading (reader.read's, or a sample's) -> the page
  const p = reading && reading.probabilities;
  const prediction = document.querySelector('#prediction');
  const chart = document.querySelector('#chart');
  prediction.replaceChildren();
  chart.replaceChildren();
  drawPreview(p ? reading.image : null);
  if (!p) {
    note.textContent = message || prompt;
    chart.setAttribute('aria-label', 'All ten probabilities: nothing read yet');
    if (!reading || !reading.moving) {
      say(reading && reading.error ? reading.error : 'The pad is empty.');
    }
    return;
  }
  const top = reading.digit, read = reading.number || String(top);  // a number: bars of its first
  const sure = reading.number ? reading.confidence : p[top];
  const label = Object.assign(document.createElement('h2'), {textContent: read});
  label.dataset.testid = 'label-output-value';
  prediction.append(label, Object.assign(document.createElement('p'),
                                         {textContent: `${percent(sure)} sure`}));
  p.forEach((value, digit) => {  // a row per digit: the digit, its bar, its probability
    const track = document.createElement('div'), bar = document.createElement('div');
    bar.className = digit === top ? 'bar top' : 'bar';
    bar.style.width = `${100 * value}%`;
    track.append(bar);
    chart.append(Object.assign(document.createElement('span'), {textContent: digit}), track,
                 Object.assign(document.createElement('span'), {textContent: percent(value)}));
  });
  chart.setAttribute('aria-label', 'All ten probabilities: ' +
                     p.map((value, digit) => `${digit} ${percent(value)}`).join(', '));
  const sentence = reading.number ? `Reads the number ${read}, ${percent(sure)} sure.`
    : `Reads a ${top}, ${percent(sure)} sure.`;
  note.textContent = message || sentence;
  if (!reading.moving) say(message || sentence);
}

function say(text) {  // the polite live region: final readings only, never each frame
  document.querySelector('#announce').textContent = text;
}

function drawPreview(image) {
  const canvas = document.querySelector('#preview'), context = canvas.getContext('2d');
  const pixels = context.createImageData(28, 28);
  (image || new Float32Array(784)).forEach((v, i) => {
    pixels.data.set([255 * v, 255 * v, 255 * v, 255], 4 * i);
  });
  context.putImageData(pixels, 0, 0);
  canvas.setAttribute('aria-label', image ? 'The 28x28 image the network saw'
                                          : 'The 28x28 image the network saw: nothing yet');
}

function onReading() {  // the pad read its ink, or its reader failed to load
  if (pad.dataset.reader === 'failed') {
    status.textContent = `This browser cannot run the network (${pad.dataset.readerError}). ` +
      'Try a recent Chrome, Edge, Firefox or Safari.';
    return;
  }
  status.textContent = '';
  show(pad.reading, pad.reading && pad.reading.error);
}

async function samples(readImage) {  // the TEST samples: one PNG strip, 28 px per digit
  const about = await (await fetch('samples.json')).json();
  const strip = new Image();
  strip.src = 'samples.png';
  await strip.decode();
  const canvas = Object.assign(document.createElement('canvas'), {width: 28, height: strip.height});
  const context = canvas.getContext('2d', {willReadFrequently: true});
  context.drawImage(strip, 0, 0);
  const holder = document.querySelector('#samples .samples');
  about.labels.forEach((truth, k) => {
    const pixels = context.getImageData(0, 28 * k, 28, 28);
    const image = Float32Array.from({length: 784}, (_, i) => pixels.data[4 * i] / 255);
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-label', `TEST sample ${about.indices[k]}, a ${truth}`);
    const thumb = Object.assign(document.createElement('canvas'), {width: 28, height: 28});
    thumb.getContext('2d').putImageData(pixels, 0, 0);
    button.append(thumb);
    button.addEventListener('click', () => {
      const reading = readImage(image);
      if (!reading) return;
      const mark = reading.digit === truth ? '✅ right' : '❌ wrong';
      show(reading, `TEST sample #${about.indices[k]}: a ${truth}, read as a ${reading.digit} ` +
                    `(${percent(reading.probabilities[reading.digit])}) ${mark}`);
    });
    holder.append(button);
  });
}

const props = {value: '[]', live: 0, slow: 0, answered: 0, ...settings};
fetch('assets/inkpad.js').then((answer) => answer.text()).then((code) => {
  pad.addEventListener('reading', onReading);
  new Function('element', 'props', 'watch', 'trigger', code)(pad, props, () => {}, () => {});
  const readImage = (image) => {  // a sample, read by the pad's own reader once it has loaded
    if (pad.dataset.reader !== 'ready') return null;
    const probabilities = pad.reader.probabilities(image);
    return {image, probabilities, digit: probabilities.indexOf(Math.max(...probabilities))};
  };
  return samples(readImage);
});
