// Copy buttons: the page works without this script (the key can be selected by hand).
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  field.focus();
  field.select();
  const done = () => { button.textContent = "Copied"; };
  const byHand = () => { button.textContent = "Selected: press Ctrl+C"; };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => (document.execCommand("copy") ? done() : byHand()));
  } else {
    document.execCommand("copy") ? done() : byHand();
  }
});
