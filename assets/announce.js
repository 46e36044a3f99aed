// A polite live region (gr.HTML's js_on_load: `element`, `props`, `watch` are Gradio's). The
// paragraph stays and only its text changes, as screen readers need to say each final reading.
const region = element.querySelector('[role="status"]');
watch('value', () => { region.textContent = props.value; });
