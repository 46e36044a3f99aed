// Run once as each page loads (launch's `js`). Gradio's empty placeholder (a label or chart
// before its first value) is an icon in a div with aria-label="Empty value" and no role, which
// screen readers may skip and axe-core flags: each gets role="img", so its label is read.
() => {
  const name = () => document.querySelectorAll('.empty[aria-label]:not([role])')
    .forEach((placeholder) => placeholder.setAttribute('role', 'img'));
  name();
  new MutationObserver(name).observe(document.body, {childList: true, subtree: true});
}
