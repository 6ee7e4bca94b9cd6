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
      }
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
