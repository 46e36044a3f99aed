// The phone's page (ui/phone.py): the pad (assets/inkpad.js, run as Gradio runs it), its own
// reading by the reader in the browser (loaded once the page shows), the prompt kept current
// by a long poll, and Send. Where the reader cannot load, the pad still draws and sends: the
// server reads every drawing sent in any case.
'use strict';
const pad = document.querySelector('#sketchpad');
const heading = document.querySelector('#prompt');
const readingLine = document.querySelector('#reading');
const sendButton = document.querySelector('#send');
const sentLine = document.querySelector('#sent');
const percent = (p) => `${Math.round(100 * p)}%`;
const watchers = {};
const props = new Proxy({value: '[]', live: 0, slow: 0, answered: 0, reader: '',
                         ...JSON.parse(pad.dataset.settings)}, {
  set(target, name, value) {
    target[name] = value;
    if (name === 'value') inked(value);
    return true;
  },
});
let session = sessionStorage.getItem('digitpad-session') || '';
let token = '';
let polling = null;  // the long poll under way, to abort when a send brings a new prompt
let readerUrl = '';  // the browser copy of the version served, read with once the page shows

async function call(path, body, signal) {  // -> the route's JSON, or {error} in plain words
  try {
    const answer = await fetch(`phone/${path}`, {
      method: 'POST', body: JSON.stringify({session, token, ...body}), signal,
      headers: {'Content-Type': 'application/json'}});
    return await answer.json();
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return {error: 'No connection to the room right now: try again in a moment.'};
  }
}

function take(answer) {  // a route's answer -> the session, the prompt and the reader it names
  session = answer.session || session;
  sessionStorage.setItem('digitpad-session', session);
  if (answer.prompt) {
    if (sentLine.className === 'refused') sentLine.textContent = '';  // asked again, and answered
    sentLine.className = '';
    token = answer.prompt.token;
    const digit = answer.prompt.digit;
    heading.textContent = digit === null ? '✏️ Draw any digit' : `✏️ Draw a ${digit}`;
  }
  readerUrl = answer.reader || readerUrl;  // the version served now: the room may teach it
  if (document.readyState === 'complete') useReader();
}

function useReader() {  // after the page has shown: the reader is most of what a phone loads
  if (!readerUrl || readerUrl === props.reader) return;
  props.reader = readerUrl;
  watchers.reader();
}

async function follow() {  // the prompt, current: each answer comes when the round changes
  for (;;) {
    polling = new AbortController();
    try {
      const answer = await call('prompt', {wait: token !== ''}, polling.signal);
      if (answer.error) {  // no connection, or the round is full for this network: said, asked again
        sentLine.className = 'refused';
        sentLine.textContent = answer.error;
        await new Promise((done) => setTimeout(done, 2000 + 3000 * Math.random()));
      } else take(answer);
    } catch (aborted) {
      // a send brought the next prompt: wait on that one
    }
  }
}

function inked(value) {  // the pad's ink changed (a stroke ended, undo, clear)
  const empty = value === '[]';
  sendButton.disabled = empty;
  if (empty) readingLine.textContent = 'Draw on the pad with your finger.';
  else if (pad.dataset.reader !== 'ready') readingLine.textContent = 'Read when you send it.';
}

function onReading() {  // the reader in the browser read the pad's ink
  const reading = pad.reading;
  if (!reading || !reading.probabilities) return;
  const sure = reading.number ? reading.confidence : reading.probabilities[reading.digit];
  const text = `Reads ${reading.number || `a ${reading.digit}`} (${percent(sure)} sure)`;
  if (readingLine.textContent !== text) readingLine.textContent = text;
  if (!reading.moving) document.querySelector('#announce').textContent = text;  // said once
}

async function send() {
  sendButton.disabled = true;
  sentLine.className = '';
  sentLine.textContent = 'Sending…';
  const answer = await call('send', {ink: props.value});
  if (answer.error) {
    sentLine.className = 'refused';
    sentLine.textContent = answer.error;
    sendButton.disabled = props.value === '[]';
    return;
  }
  const {digit, confidence} = answer.sent;
  sentLine.textContent = `📺 Sent: the screen shows your ${digit} (${percent(confidence)}).` +
    (answer.not_saved ? ` Not saved: ${answer.not_saved}` : '');
  props.value = '[]';
  watchers.value();  // empties the pad
  polling.abort();
  take(answer);
}

startPad(pad, props, (name, callback) => { watchers[name] = callback; }, () => {});
pad.addEventListener('reading', onReading);
sendButton.addEventListener('click', send);
window.addEventListener('load', useReader);
follow();
