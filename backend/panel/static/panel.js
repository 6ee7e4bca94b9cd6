// The lobby board, live: the staff channel says something changed, the board is fetched again.
// Progressive enhancement only: without this script the page and its forms work, by reloading.
const board = document.getElementById("board");
const status = document.getElementById("live-status");

if (board) {
  const me = board.dataset.me;
  const myDepartments = new Set(board.dataset.departments.split(",").filter(Boolean));
  let retry = 1000;

  const refreshWaits = () => {
    for (const wait of board.querySelectorAll(".wait")) {
      const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(wait.dataset.since)) / 60000));
      wait.textContent = board.dataset.minutes.replace("{minutes}", minutes);
    }
  };

  const chime = () => {
    // A soft two-note chime, made here rather than fetched: no file, nothing to cache.
    try {
      const audio = new AudioContext();
      [660, 880].forEach((frequency, index) => {
        const tone = audio.createOscillator();
        const volume = audio.createGain();
        tone.frequency.value = frequency;
        volume.gain.setValueAtTime(0.08, audio.currentTime + index * 0.18);
        volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + index * 0.18 + 0.35);
        tone.connect(volume).connect(audio.destination);
        tone.start(audio.currentTime + index * 0.18);
        tone.stop(audio.currentTime + index * 0.18 + 0.4);
      });
    } catch (error) { /* no sound device: the highlight is enough */ }
  };

  const reload = async (arrival) => {
    const response = await fetch("/panel/board" + location.search, { credentials: "same-origin" });
    if (!response.ok) return;
    board.innerHTML = await response.text();
    refreshWaits();
    if (arrival) {
      const card = board.querySelector(`[data-visit="${arrival.id}"]`);
      const forMe = String(arrival.host_id) === me || myDepartments.has(String(arrival.department_id));
      if (card && forMe) {
        card.classList.add("arrived");
        chime();
      }
    }
  };

  // Alerts and news for the front desk (the containers exist only for the roles that receive these events).
  const alerts = document.getElementById("alerts");
  const toasts = document.getElementById("toasts");
  const announced = new Set();

  const paymentLink = (paymentId, text) => {
    const link = document.createElement("a");
    link.href = `/panel/payments/${encodeURIComponent(paymentId)}`;
    link.textContent = text;
    return link;
  };

  const showPrintFailure = (event) => {
    if (!alerts) return;
    const problem = alerts.querySelector(`[data-problem="${CSS.escape(String(event.problem))}"]`);
    const banner = document.createElement("div");
    banner.className = "alert";
    banner.setAttribute("role", "alert");
    banner.dataset.receipt = event.receipt_number;
    const text = document.createElement("span");
    // textContent, never innerHTML: the kiosk's name is data.
    text.textContent = alerts.dataset.printFailed.replace("{kiosk}", event.kiosk)
      .replace("{number}", event.receipt_number).replace("{problem}", problem ? problem.textContent : event.problem);
    const close = document.createElement("button");
    close.type = "button";
    close.className = "quiet";
    close.textContent = alerts.dataset.dismiss;
    close.addEventListener("click", () => banner.remove());
    banner.append(text, paymentLink(event.payment_id, alerts.dataset.open), close);
    alerts.append(banner);
  };

  const notePayment = (payment) => {
    // One note per payment taken; later updates of it (refunds) say nothing here.
    if (!toasts || !alerts || payment.state !== "succeeded" || payment.refunded || announced.has(payment.id)) return;
    announced.add(payment.id);
    const toast = document.createElement("div");
    toast.className = "toast";
    toast.append(paymentLink(payment.id, alerts.dataset.paid.replace("{number}", payment.receipt_number || "")));
    toasts.append(toast);
    setTimeout(() => toast.remove(), 10000);
  };

  const connect = () => {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws`);
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "ready") {
        status.textContent = status.dataset.online;
        status.classList.add("online");
        retry = 1000;
        reload(null);  // catch up on anything missed while disconnected
      } else if (event.type.startsWith("visit.")) {
        reload(event.type === "visit.checked_in" ? event.visit : null);
      } else if (event.type === "receipt.print_failed") {
        showPrintFailure(event);
      } else if (event.type === "payment.updated") {
        notePayment(event.payment);
      }  // anything else is not for the board
    });
    socket.addEventListener("close", () => {
      status.textContent = status.dataset.offline;
      status.classList.remove("online");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  };

  refreshWaits();
  setInterval(refreshWaits, 20000);
  connect();
}

// The payment request form: "Add a line" copies the last row here instead of posting the form back.
const lines = document.getElementById("lines");
const addLine = document.querySelector("[data-add-line]");
if (lines && addLine) {
  addLine.addEventListener("click", (event) => {
    const rows = lines.querySelectorAll("tr");
    if (rows.length >= 50) return;  // the server says "at most 50 lines"
    event.preventDefault();
    const index = rows.length;
    const row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll(".error").forEach((message) => message.remove());
    const renumber = (value) => value.replace(/lines-\d+-/g, `lines-${index}-`).replace(/\bline-\d+\b/g, `line-${index}`);
    for (const element of row.querySelectorAll("*")) {
      for (const name of ["name", "id", "aria-labelledby"]) {
        if (element.hasAttribute(name)) element.setAttribute(name, renumber(element.getAttribute(name)));
      }
      element.removeAttribute("aria-invalid");
      element.removeAttribute("aria-describedby");
    }
    row.querySelector(".line-number").textContent = String(index + 1);
    for (const input of row.querySelectorAll("input")) {
      if (input.type === "checkbox") input.checked = true;
      else input.value = input.name.endsWith("-quantity") ? "1" : "";
    }
    lines.append(row);
    row.querySelector("input").focus();
  });
}
