// The Meridian Review: progressive enhancement for reader pages.
//
// Related stories end with a "Keep reading" link to the article. Where the story carries a
// hidden excerpt (`data-expands="more-N"` names it), swap the link for a disclosure button
// that shows and hides the excerpt in place. Without JavaScript the link still works.

const LABEL_CLOSED = "Keep reading";
const LABEL_OPEN = "Show less";

// The visible label is the button's leading text node; the visually-hidden headline span
// after it stays untouched so screen readers hear "Keep reading: <headline>".
function setLabel(button, text) {
  const first = button.firstChild;
  if (first && first.nodeType === Node.TEXT_NODE) {
    first.nodeValue = text;
  } else {
    button.prepend(document.createTextNode(text));
  }
}

function toggle(button, region) {
  const open = button.getAttribute("aria-expanded") !== "true";
  region.hidden = !open;
  button.setAttribute("aria-expanded", String(open));
  setLabel(button, open ? LABEL_OPEN : LABEL_CLOSED);
  // Some browsers (Safari) do not focus a button on click; keep focus where the reader is.
  if (document.activeElement !== button) button.focus();
}

function enhance(link) {
  const region = document.getElementById(link.dataset.expands);
  if (!region) return; // nothing to expand: leave the plain link alone

  const button = document.createElement("button");
  button.type = "button";
  button.className = link.className;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", region.id);
  button.append(...link.childNodes); // "Keep reading" + the visually-hidden headline
  setLabel(button, LABEL_CLOSED);
  region.hidden = true;

  button.addEventListener("click", () => toggle(button, region));

  const hadFocus = document.activeElement === link;
  link.replaceWith(button);
  if (hadFocus) button.focus();
}

// "Copy link" in the share links is a plain link to the article's address. Where the clipboard
// can be written, it becomes a button that copies the address and says so in a status line.
function enhanceCopyLink(link) {
  const status = link.closest(".share-bar")?.querySelector("[data-share-status]");
  const say = (text) => { if (status) status.textContent = text; };
  const button = document.createElement("button");
  button.type = "button";
  button.className = link.className;
  button.textContent = link.textContent;
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(link.href).then(
      () => say("Link copied."),
      () => say(`Could not copy the link: ${link.href}`),
    );
  });
  link.replaceWith(button);
}

function init() {
  document.querySelectorAll("a.keep-reading[data-expands]").forEach(enhance);
  if (navigator.clipboard && window.isSecureContext) {
    document.querySelectorAll("a[data-share-copy]").forEach(enhanceCopyLink);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init, { once: true });
} else {
  init();
}
