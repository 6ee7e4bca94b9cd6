// The panel, live: the staff channel (/api/ws) says something changed, and the page fetches the part that shows
// it again (the lobby board, the calls lists, the outgoing notifications table). Progressive enhancement only:
// without this script every page and its forms work, by reloading.
const status = document.getElementById("live-status");

// One live channel for the page: reopened with a growing wait when it drops. `onReady` runs after every
// (re)connection, to catch up on what was missed meanwhile; `onEvent` gets every other event.
const liveChannel = (onEvent, onReady) => {
  let retry = 1000;
  const connect = () => {
    const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/ws`);
    socket.addEventListener("message", (message) => {
      const event = JSON.parse(message.data);
      if (event.type === "ready") {
        if (status) {
          status.textContent = status.dataset.online;
          status.classList.add("online");
        }
        retry = 1000;
        onReady();
      } else {
        onEvent(event);
      }
    });
    socket.addEventListener("close", () => {
      if (status) {
        status.textContent = status.dataset.offline;
        status.classList.remove("online");
      }
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    });
  };
  connect();
};

// A part of the page fetched again into `container`; an older answer never overwrites a newer one, and a
// session that ended (the answer is the sign-in page) leaves the part as it was. Resolves to whether it changed.
const fragment = (container, path) => {
  let latest = 0;
  return async () => {
    const ticket = ++latest;
    let response;
    try {
      response = await fetch(path + location.search, { credentials: "same-origin" });
    } catch (error) {
      return false;  // offline for a moment: the next event or reconnection fetches it again
    }
    if (!response.ok || response.redirected) return false;
    const html = await response.text();
    if (ticket !== latest) return false;
    container.innerHTML = html;
    return true;
  };
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

// The lobby board.
const board = document.getElementById("board");
if (board) {
  const me = board.dataset.me;
  const myDepartments = new Set(board.dataset.departments.split(",").filter(Boolean));
  const load = fragment(board, "/panel/board");

  const refreshWaits = () => {
    for (const wait of board.querySelectorAll(".wait")) {
      const minutes = Math.max(0, Math.floor((Date.now() - Date.parse(wait.dataset.since)) / 60000));
      wait.textContent = board.dataset.minutes.replace("{minutes}", minutes);
    }
  };

  // `arrival`: a visit to point out (highlight and chime) when it is for this person; an escalated visit is,
  // since the escalation just reached them.
  const reload = async (arrival, escalated) => {
    if (!await load()) return;
    refreshWaits();
    if (arrival) {
      const card = board.querySelector(`[data-visit="${CSS.escape(String(arrival.id))}"]`);
      const forMe = escalated || String(arrival.host_id) === me || myDepartments.has(String(arrival.department_id));
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

  refreshWaits();
  setInterval(refreshWaits, 20000);
  liveChannel((event) => {
    if (event.type === "visit.checked_in" || event.type === "visit.escalated") {
      reload(event.visit, event.type === "visit.escalated");
    } else if (event.type.startsWith("visit.")) {
      reload(null, false);
    } else if (event.type === "receipt.print_failed") {
      showPrintFailure(event);
    } else if (event.type === "payment.updated") {
      notePayment(event.payment);
    }  // anything else is not for the board
  }, () => reload(null, false));
}

// The calls page: its two lists (open messages, today's calls) fetched again on any news of a call; a new or
// escalated message still open is pointed out (highlight and chime), unless this person just logged it.
const callLists = document.getElementById("calls-lists");
if (callLists) {
  const me = callLists.dataset.me;
  const load = fragment(callLists, "/panel/calls/lists");
  liveChannel(async (event) => {
    if (!event.type.startsWith("call.")) return;
    if (!await load()) return;
    const call = event.call;
    const news = event.type === "call.logged" || event.type === "call.escalated";
    if (news && call.message_state === "open" && !(event.type === "call.logged" && String(call.logged_by_id) === me)) {
      const row = callLists.querySelector(`.messages [data-call="${CSS.escape(String(call.id))}"]`);
      if (row) {
        row.classList.add("arrived");
        chime();
      }
    }
  }, () => load());
}

// The outgoing notifications page: its table fetched again (with the page's filters) when a delivery changes.
const deliveriesTable = document.getElementById("deliveries-live");
if (deliveriesTable) {
  const load = fragment(deliveriesTable, "/panel/deliveries/table");
  liveChannel((event) => {
    if (event.type === "delivery.updated") load();
  }, () => load());
}

// The queue of contact changes asked for at the kiosk: fetched again when one arrives or another clerk reviews one.
// What a clerk was typing (a reason for rejecting) survives the refresh; the page as first served is fresh
// already, and may carry a form's error, so the first connection fetches nothing.
const contactChanges = document.getElementById("contact-changes-live");
if (contactChanges) {
  const load = fragment(contactChanges, "/panel/clients/changes/list");
  const reasons = () => [...contactChanges.querySelectorAll("input[name=reason]")];
  const reload = async () => {
    const typed = new Map(reasons().map((input) => [input.form.action, input.value]));
    const focused = document.activeElement && document.activeElement.name === "reason" ? document.activeElement.form.action : null;
    if (!await load()) return;
    for (const input of reasons()) {
      if (typed.get(input.form.action)) input.value = typed.get(input.form.action);
      if (input.form.action === focused) input.focus();
    }
  };
  let connected = false;
  liveChannel((event) => {
    if (event.type.startsWith("client.contact_change_")) reload();
  }, () => {
    if (connected) reload();
    connected = true;
  });
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

// Client search: results while typing (the form still works without this script, by submitting).
const clientQuery = document.getElementById("client-query");
const clientResults = document.getElementById("client-results");
if (clientQuery && clientResults) {
  let timer = null;
  let asked = 0;
  clientQuery.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = clientQuery.value;
      const mine = ++asked;
      const response = await fetch(`/panel/clients/results?q=${encodeURIComponent(query)}`, { credentials: "same-origin" });
      // A slower answer to an older query must not replace a newer one.
      if (!response.ok || mine !== asked || response.redirected) return;
      clientResults.innerHTML = await response.text();
      history.replaceState(null, "", `/panel/clients?q=${encodeURIComponent(query)}`);
    }, 150);
  });
}

// An import under way: its progress asked for five times a second, the bar and its words moved; once it has finished,
// its page again, which is now the report. Without this script the page has a link to refresh it.
const importLive = document.getElementById("import-live");
if (importLive) {
  const bar = document.getElementById("import-progress");
  const text = document.getElementById("import-progress-text");
  const counted = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-CA" : "fr-CA");
  const follow = async () => {
    let job = null;
    try {
      const response = await fetch(importLive.dataset.jobUrl, { credentials: "same-origin" });
      if (response.ok) job = await response.json();
    } catch (error) { /* offline for a moment: asked again below */ }
    if (job && job.state !== "running") {
      bar.value = job.state === "done" ? 100 : bar.value;
      location.assign(importLive.dataset.pageUrl);
      return;
    }
    if (job) {
      bar.value = job.percent;
      bar.textContent = `${job.percent} %`;
      const words = job.phase === "storing" ? importLive.dataset.storing : importLive.dataset.checking;
      text.textContent = words.replace("{done}", counted.format(job.rows_done)).replace("{total}", counted.format(job.rows_total));
    }
    setTimeout(follow, 200);
  };
  follow();
}

// Forms that undo something ask first (data-confirm holds the question): a removed document is gone.
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// The payroll cheques dashboard: its lists fetched again on any news of a cheque or a run; a cheque an employee
// just asked for at the kiosk is pointed out (highlight and chime) for the desk to hand over.
const chequesLive = document.getElementById("cheques-live");
if (chequesLive) {
  const load = fragment(chequesLive, "/panel/cheques/live");
  // Several events come with one request (the cheque's, the desk's call): whichever fetch lands last, the cards
  // asked for since the page opened stay pointed out.
  const pointedOut = new Set();
  const point = () => {
    for (const id of pointedOut) {
      const card = chequesLive.querySelector(`.kiosk-requests [data-cheque="${CSS.escape(id)}"]`);
      if (card) card.classList.add("arrived");
    }
  };
  liveChannel(async (event) => {
    if (!event.type.startsWith("cheque.") && !event.type.startsWith("payroll_run.")) return;
    if (event.type === "cheque.requested" && event.cheque && !pointedOut.has(String(event.cheque.id))) {
      pointedOut.add(String(event.cheque.id));
      chime();
    }
    if (await load()) point();
  }, async () => { if (await load()) point(); });
}

// Signature pads (the cheque handover form): their script only where there is one.
if (document.querySelector("[data-signature-pad]")) import("./signature.js");
