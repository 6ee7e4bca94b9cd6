// Signature pads: drawn with a mouse, a finger or a pen (Pointer Events) on a canvas; the form sends the drawing
// as a PNG data URL in its hidden `signature` field. A blank pad is refused here before posting, and by the
// server in any case. On a handover form, choosing a delegate hides the PIN (a delegate always signs).
const INK = "#1d2730";

const setUp = (pad) => {
  const canvas = pad.querySelector("canvas");
  const field = pad.querySelector('input[name="signature"]');
  const error = pad.querySelector(".error");
  const form = pad.closest("form");
  const context = canvas.getContext("2d");
  let drawing = false;
  let inked = false;
  let last = null;

  context.lineWidth = 2.5;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = INK;
  context.fillStyle = INK;

  // The canvas keeps its own resolution whatever size the page shows it at.
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return { x: (event.clientX - box.left) * canvas.width / box.width,
             y: (event.clientY - box.top) * canvas.height / box.height };
  };
  const showError = (message) => {
    error.textContent = message;
    error.hidden = !message;
  };

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
    context.fill();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    // A pen or a fast finger sends several points per frame: draw them all for a smooth line.
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const move of moves.length ? moves : [event]) {
      const next = point(move);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    }
    inked = true;
    showError("");
  });
  const stop = () => { drawing = false; };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);

  pad.querySelector("[data-signature-clear]").addEventListener("click", () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    inked = false;
    field.value = "";
  });

  const receiver = () => form.querySelector('input[name="receiver"]:checked');
  const pinGiven = () => {
    const pin = form.querySelector('input[name="pin"]');
    return Boolean(pin && pin.value.trim()) && (!receiver() || receiver().value === "employee");
  };

  form.addEventListener("submit", (event) => {
    if (inked) {
      field.value = canvas.toDataURL("image/png");
    } else if (!pinGiven()) {
      event.preventDefault();
      showError(pad.dataset.blank);
      canvas.scrollIntoView({ block: "center" });
    }
  });

  // A delegate signs and gives their name and the authorisation; the employee signs or types their PIN.
  const delegateFields = form.querySelector("[data-delegate-fields]");
  const pinAlternative = form.querySelector("[data-pin-alternative]");
  const showReceiver = () => {
    const delegate = receiver() && receiver().value === "delegate";
    if (delegateFields) delegateFields.hidden = !delegate;
    if (pinAlternative) pinAlternative.hidden = delegate;
  };
  for (const choice of form.querySelectorAll('input[name="receiver"]')) {
    choice.addEventListener("change", showReceiver);
  }
  showReceiver();
};

document.querySelectorAll("[data-signature-pad]").forEach(setUp);
