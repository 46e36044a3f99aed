// The speaker's wall: a tap on a drawing asks to take it off the stage ('pick' with its number).
// One listener on the component, so it survives the wall's refreshes.
element.addEventListener('click', (event) => {
  const drawing = event.target.closest('figure[data-seq]');
  if (drawing) trigger('pick', {seq: drawing.dataset.seq});
});
