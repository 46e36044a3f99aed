// The main page's label and chart from the pad's own reading (assets/inkpad.js keeps it as
// `reading` on its element, and triggers this only when it has read a digit): a js-only event,
// in the values Gradio's Label and BarPlot take.
() => {
  const reading = document.querySelector('#sketchpad [data-reader]').reading;
  const p = reading.probabilities;
  const digits = [...'0123456789'];
  const confidences = digits.map((label, k) => ({label, confidence: p[k]}))
    .sort((a, b) => b.confidence - a.confidence);
  const {number, confidence} = reading;
  const label = number === undefined ? {label: String(reading.digit), confidences}
    : {label: number, confidences: [{label: number, confidence}]};
  const chart = {columns: ['digit', 'probability', 'reading'], mark: 'bar',
                 datatypes: {digit: 'nominal', probability: 'quantitative', reading: 'nominal'},
                 data: digits.map((d, k) => [d, Math.round(1e4 * p[k]) / 1e4,
                                             k === reading.digit ? 'prediction' : 'other'])};
  return [label, chart];
}
