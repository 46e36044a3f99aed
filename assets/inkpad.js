// The ink pad (gr.HTML's js_on_load: `element`, `props`, `watch` are Gradio's). Pointer events for
// mouse, touch and pen on a 2D canvas; the value is the ink as JSON, set once per finished
// stroke: [[[x, y, t], ...], ...], x and y in canvas pixels, t in ms since the first point.
// While the pen moves, the value may be {"drawing": the ink so far}, for a reading in the stroke:
// one event for both, so the server batches them, and the reading as the pen lifts comes last.
// The server answers each value by setting `answered`; while answers are slow, or one is
// awaited, no value is sent mid-stroke: a busy server sheds those readings by itself.
// Where the page names a browser copy of the model (`reader`, with the `scripts` that run it),
// the pad reads its own ink once per frame as the pen moves (assets/reader/), keeps the
// reading as `element.reading`, dispatches a 'reading' DOM event, and triggers 'input' when
// there is a digit to show; the server then hears finished strokes only. While `server_live`
// is set (the inside view, which only the server draws, is open), the server reads as before.
const canvas = element.querySelector('canvas');
const context = canvas.getContext('2d');
const size = canvas.width;
const brush = Number(props.brush);
const live = Number(props.live);  // ms between values sent while the pen moves; 0: none
const slow = Number(props.slow);  // ms: an answer slower than this pauses them
let asked = -Infinity;  // when the last of them was sent
let awaited = null;  // when the value now awaiting its answer was sent
let held = false;  // a value set meanwhile, which Gradio sends once that one is answered
let took = 0;  // ms the last answer took
let strokes = [];
let current = null;  // the stroke being drawn
let pointer = null;  // the one pointer drawing it; other fingers are ignored
let start = 0;

let reader = null;  // DigitReader's reader, once loaded
let framed = false;  // a local reading is asked for the next frame

const STEP = 2;  // px between points kept while drawing
const LOST = 10000;  // ms: an answer awaited this long is taken as lost (a dropped connection)
const TOLERANCE = 1;  // px a finished stroke may move when simplified: a digit stays ~1 KB

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [Math.round((event.clientX - box.left) * size / box.width),
          Math.round((event.clientY - box.top) * size / box.height),
          Math.round(event.timeStamp - start)];
}

function line(from, to) {
  context.beginPath();
  context.moveTo(from[0], from[1]);
  context.lineTo(to[0], to[1]);
  context.stroke();
}

function paint() {  // the whole ink again, in the current theme's ink colour
  context.clearRect(0, 0, size, size);
  context.lineWidth = brush;
  context.lineCap = context.lineJoin = 'round';
  context.strokeStyle = getComputedStyle(canvas).color;
  for (const stroke of current ? [...strokes, current] : strokes) {
    context.beginPath();
    context.moveTo(stroke[0][0], stroke[0][1]);
    for (const [x, y] of stroke) context.lineTo(x, y);
    if (stroke.length === 1) context.lineTo(stroke[0][0] + 0.01, stroke[0][1]);  // a dot
    context.stroke();
  }
}

function simplify(stroke) {  // Ramer-Douglas-Peucker: the fewest points within TOLERANCE
  const keep = new Uint8Array(stroke.length);
  keep[0] = keep[stroke.length - 1] = 1;
  const spans = [[0, stroke.length - 1]];
  while (spans.length) {
    const [first, last] = spans.pop();
    const [ax, ay] = stroke[first], [bx, by] = stroke[last];
    const length = Math.hypot(bx - ax, by - ay);
    let far = -1, distance = TOLERANCE;
    for (let i = first + 1; i < last; i++) {
      const [x, y] = stroke[i];
      const d = length < 1 ? Math.hypot(x - ax, y - ay)  // a closed loop: distance to its end
        : Math.abs((bx - ax) * (ay - y) - (ax - x) * (by - ay)) / length;
      if (d > distance) [far, distance] = [i, d];
    }
    if (far > 0) {
      keep[far] = 1;
      spans.push([first, far], [far, last]);
    }
  }
  return stroke.filter((_, i) => keep[i]);
}

function script(src) {
  return new Promise((resolve, reject) => {
    if (document.querySelector(`script[src="${src}"]`)) return resolve();
    const tag = Object.assign(document.createElement('script'), {src, onload: resolve});
    tag.onerror = () => reject(new Error(`${src} could not be loaded`));
    document.head.append(tag);
  });
}

let loaded = null;  // the browser copy the reader reads with

async function loadReader() {  // where it cannot load, the server reads as before
  if (!props.reader) {
    element.dataset.reader = 'none';
    return;
  }
  if (props.reader === loaded) return;  // named again with an answer: nothing new
  loaded = props.reader;
  element.dataset.reader = 'loading';
  try {
    for (const src of props.scripts.split(' ')) await script(src);
    reader = await window.DigitReader.load({model: props.reader, vendor: props.vendor});
    element.reader = reader;
    element.dataset.reader = 'ready';
    readLocally();
  } catch (error) {
    reader = null;
    element.dataset.readerError = error.message;
    element.dataset.reader = 'failed';
    element.dispatchEvent(new CustomEvent('reading'));
  }
}

function readLocally() {  // at most once per frame: the display's rate
  if (!reader || framed) return;
  framed = true;
  requestAnimationFrame(() => {
    framed = false;
    const ink = current ? [...strokes, simplify(current)] : strokes;
    try {
      element.reading = {...reader.read(ink), moving: current !== null};
    } catch (error) {
      element.reading = {error: error.message};
    }
    element.dispatchEvent(new CustomEvent('reading'));
    if (element.reading.probabilities) trigger('input');
  });
}

function waiting() {  // for the answer to a value sent
  return awaited !== null && performance.now() - awaited < LOST;
}

function post(value) {
  if (value === props.value) return;  // no change, no event, no answer to wait for
  if (waiting()) held = true;
  else awaited = performance.now();
  props.value = value;  // setting the value fires the change event
}

function send() {
  post(JSON.stringify(strokes));
  readLocally();
}

canvas.addEventListener('pointerdown', (event) => {
  if (pointer !== null || event.button > 0) return;
  event.preventDefault();
  pointer = event.pointerId;
  canvas.setPointerCapture(pointer);
  if (!strokes.length) start = event.timeStamp;
  current = [point(event)];
  paint();
});

canvas.addEventListener('pointermove', (event) => {
  if (event.pointerId !== pointer) return;
  const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const move of moves.length ? moves : [event]) {
    const next = point(move), last = current[current.length - 1];
    if (Math.hypot(next[0] - last[0], next[1] - last[1]) < STEP) continue;
    current.push(next);
    line(last, next);
  }
  if (reader && !props.server_live) readLocally();
  else if (live && !waiting() && took <= slow && event.timeStamp - asked >= live
      && current.length > 1) {
    asked = event.timeStamp;
    post(JSON.stringify({drawing: [...strokes, simplify(current)]}));
  }
});

function finish(event) {
  if (event.pointerId !== pointer) return;
  pointer = null;
  const end = point(event), last = current[current.length - 1];
  if (end[0] !== last[0] || end[1] !== last[1]) current.push(end);
  strokes.push(simplify(current));
  current = null;
  paint();
  send();
}
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);

function undo() {
  if (!strokes.length) return;
  strokes.pop();
  paint();
  send();
}

function clear() {
  strokes = [];
  current = null;
  paint();
  send();
}

watch('answered', () => {
  const now = performance.now();
  if (awaited !== null) {
    took = now - awaited;
    element.dataset.took = took;  // unrounded, so that a test holds the pad to its own rule
  }
  awaited = held ? now : null;
  held = false;
});

watch('reader', loadReader);  // the server serves another version: read with its copy

watch('value', () => {  // the server emptied the pad (a drawing sent to the stage)
  if (props.value === '[]' && strokes.length && pointer === null) {
    strokes = [];
    paint();
  }
});

element.querySelector('#undo').addEventListener('click', undo);
element.querySelector('#clear').addEventListener('click', clear);
document.addEventListener('keydown', (event) => {
  if (event.target.closest('input, textarea, select, [contenteditable="true"]')) return;
  if (event.key === 'Escape') clear();
  else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'z') {
    event.preventDefault();
    undo();
  }
});
paint();
loadReader();
