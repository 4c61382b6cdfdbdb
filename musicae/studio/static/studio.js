// musicae studio: talks to the local API, draws piano rolls, plays notes with a WebAudio synth.
"use strict";

const $ = (id) => document.getElementById(id);
let audio = null;          // one AudioContext, made on the first press of a play button
let playing = null;        // {voices, start, duration, canvas, notes, frame}
let pathMidi = null;

function showError(message) { $("error").textContent = message || ""; }

async function api(path, form) {
  const response = await fetch(path, form ? { method: "POST", body: form } : {});
  let body;
  try { body = await response.json(); } catch (e) { body = { error: `the server answered ${response.status}` }; }
  if (!response.ok) throw new Error(body.error || `the server answered ${response.status}`);
  return body;
}

function midiUrl(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return URL.createObjectURL(new Blob([bytes], { type: "audio/midi" }));
}

let currentModel = null;   // the entry of /api/models picked in the model menu

// --- drum grid: the model's instruments as rows, hits as cells shaded by velocity ---
function drawGrid(canvas, notes, duration, playhead) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio, height = canvas.clientHeight * ratio;
  canvas.width = width; canvas.height = height;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, width, height);
  const lanes = canvas.lanes, laneOf = new Map(lanes.map(([, pitch], i) => [pitch, i]));
  const x = (t) => (t / duration) * width, rowHeight = height / lanes.length;
  const step = 0.125;  // a sixteenth at 120 qpm, in seconds
  g.strokeStyle = "#e3e3ea";
  for (let i = 1; i < lanes.length; i++) { g.beginPath(); g.moveTo(0, i * rowHeight); g.lineTo(width, i * rowHeight); g.stroke(); }
  for (let bar = 0; bar <= duration; bar += 2) { g.beginPath(); g.moveTo(x(bar), 0); g.lineTo(x(bar), height); g.stroke(); }
  for (const [pitch, start, , velocity] of notes) {
    const lane = laneOf.get(pitch);
    if (lane === undefined) continue;
    g.fillStyle = `rgba(59, 110, 168, ${0.25 + 0.75 * (velocity || 100) / 127})`;
    g.fillRect(x(start), lane * rowHeight + 1, Math.max(2, x(start + step) - x(start) - 1), rowHeight - 2);
  }
  g.fillStyle = "#666"; g.font = `${Math.max(8, rowHeight * 0.6)}px sans-serif`;
  lanes.forEach(([name], i) => g.fillText(name, 2, (i + 0.75) * rowHeight));
  if (playhead !== undefined) {
    g.strokeStyle = "#d33"; g.lineWidth = 2 * ratio;
    g.beginPath(); g.moveTo(x(playhead), 0); g.lineTo(x(playhead), height); g.stroke();
  }
}

// --- piano roll ---
function drawRoll(canvas, notes, duration, playhead, chordNotes) {
  if (canvas.lanes && canvas.lanes.length) { drawGrid(canvas, notes, duration, playhead); return; }
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio, height = canvas.clientHeight * ratio;
  canvas.width = width; canvas.height = height;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, width, height);
  chordNotes = chordNotes || canvas.chordNotes || [];
  const pitches = notes.concat(chordNotes).map((n) => n[0]);
  const low = Math.min(...pitches, 60) - 2, high = Math.max(...pitches, 72) + 2;
  const x = (t) => (t / duration) * width;
  const y = (p) => height - ((p - low + 1) / (high - low + 2)) * height;
  g.strokeStyle = "#e3e3ea";
  for (let bar = 0; bar <= duration; bar += 2) { g.beginPath(); g.moveTo(x(bar), 0); g.lineTo(x(bar), height); g.stroke(); }
  const rowHeight = Math.max(2, height / (high - low + 2) - 1);
  g.fillStyle = "#c8c8d0";
  for (const [pitch, start, end] of chordNotes) g.fillRect(x(start), y(pitch), Math.max(1, x(end) - x(start) - 1), rowHeight);
  g.fillStyle = "#3b6ea8";
  for (const [pitch, start, end] of notes) g.fillRect(x(start), y(pitch), Math.max(1, x(end) - x(start) - 1), rowHeight);
  if (playhead !== undefined) {
    g.strokeStyle = "#d33"; g.lineWidth = 2 * ratio;
    g.beginPath(); g.moveTo(x(playhead), 0); g.lineTo(x(playhead), height); g.stroke();
  }
}

function durationOf(notes, fallback) { return Math.max(fallback || 0, ...notes.map((n) => n[2]), 1); }

// --- synth ---
function stop() {
  if (!playing) return;
  for (const voice of playing.voices) { try { voice.stop(); } catch (e) { /* already stopped */ } }
  cancelAnimationFrame(playing.frame);
  drawRoll(playing.canvas, playing.notes, playing.duration);
  playing = null;
}

function tempoScale() {
  // the notes are laid out at 120 quarter notes a minute; the transport's tempo stretches them
  const tempo = Math.min(240, Math.max(40, Number($("tempo").value) || 120));
  return 120 / tempo;
}

async function renderedVoice(canvas, scale) {
  // the roll's MIDI rendered by the studio through a GM SoundFont, at the transport's tempo: one buffer source
  const form = new FormData();
  form.append("midi", canvas.midi);
  form.append("qpm", String(120 / scale));
  const response = await fetch("/api/render", { method: "POST", body: form });
  if (!response.ok) throw new Error((await response.json()).error || `the server answered ${response.status}`);
  const buffer = await audio.decodeAudioData(await response.arrayBuffer());
  const source = audio.createBufferSource();
  source.buffer = buffer;
  source.connect(audio.destination);
  return source;
}

async function play(notes, canvas, duration) {
  stop();
  if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
  if (audio.state === "suspended") audio.resume();
  const scale = tempoScale();
  if ($("voice").value === "soundfont" && canvas.midi) {
    let source;
    try { source = await renderedVoice(canvas, scale); } catch (err) { showError(err.message); return; }
    stop();  // another play may have started while the sound was rendered
    const start = audio.currentTime + 0.05;
    source.start(start);
    playing = { voices: [source], start, duration, canvas, notes, frame: 0, scale };
    follow(notes, canvas, duration);
    return;
  }
  const start = audio.currentTime + 0.05;
  const voices = [];
  const drums = canvas.lanes && canvas.lanes.length;
  for (const [pitch, on, off, velocity] of notes) {
    if (drums) { voices.push(drumVoice(pitch, start + on * scale, (velocity || 100) / 127)); continue; }
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = $("voice").value || "triangle";
    osc.frequency.value = 440 * Math.pow(2, (pitch - 69) / 12);
    const a = start + on * scale, b = start + Math.max(off, on + 0.05) * scale;
    const level = 0.25 * (velocity || 100) / 127 + 0.05;
    gain.gain.setValueAtTime(0, a);
    gain.gain.linearRampToValueAtTime(level, a + 0.01);
    gain.gain.setTargetAtTime(level / 2, a + 0.01, 0.1);
    gain.gain.setTargetAtTime(0, b, 0.03);
    osc.connect(gain).connect(audio.destination);
    osc.start(a); osc.stop(b + 0.2);
    voices.push(osc);
  }
  playing = { voices, start, duration, canvas, notes, frame: 0, scale };
  follow(notes, canvas, duration);
}

function follow(notes, canvas, duration) {
  // the playhead, until the end (then round again when Loop is on)
  const tick = () => {
    if (!playing) return;
    const t = (audio.currentTime - playing.start) / playing.scale;  // in the roll's own time
    if (t > duration) {
      stop();
      if ($("loop").checked) play(notes, canvas, duration);  // round again, at the tempo set now
      return;
    }
    drawRoll(canvas, notes, duration, Math.max(0, t));
    playing.frame = requestAnimationFrame(tick);
  };
  tick();
}

// A small synthetic kit: kicks and toms are falling sine tones, snares, hi-hats and cymbals filtered noise.
const KIT = { 36: [110, 45, 0, 0.35], 38: [190, 170, 0.7, 0.16], 42: [0, 0, 1, 0.05], 46: [0, 0, 1, 0.35],
              45: [110, 95, 0.1, 0.3], 48: [150, 130, 0.1, 0.28], 50: [200, 175, 0.1, 0.25], 49: [0, 0, 1, 1.2],
              51: [620, 600, 0.6, 0.7] };
let noiseBuffer = null;

function drumVoice(pitch, at, level) {
  const [from, to, noise, decay] = KIT[pitch] || [0, 0, 1, 0.1];
  const gain = audio.createGain();
  gain.gain.setValueAtTime(0.6 * level, at);
  gain.gain.exponentialRampToValueAtTime(0.001, at + decay * 3);
  gain.connect(audio.destination);
  let source;
  if (noise > 0.5) {
    if (!noiseBuffer) {
      noiseBuffer = audio.createBuffer(1, audio.sampleRate, audio.sampleRate);
      const data = noiseBuffer.getChannelData(0);
      for (let i = 0; i < data.length; i++) data[i] = Math.random() * 2 - 1;
    }
    source = audio.createBufferSource();
    source.buffer = noiseBuffer;
    const filter = audio.createBiquadFilter();
    filter.type = "highpass"; filter.frequency.value = pitch === 38 ? 1500 : 6000;
    source.connect(filter).connect(gain);
  } else {
    source = audio.createOscillator();
    source.frequency.setValueAtTime(from, at);
    source.frequency.exponentialRampToValueAtTime(to, at + decay);
    source.connect(gain);
  }
  source.start(at); source.stop(at + decay * 3 + 0.05);
  return source;
}

// --- results ---
function addRoll(container, label, notes, duration, midi, name, chordNotes) {
  const row = document.createElement("div");
  row.className = "roll";
  const title = document.createElement("span");
  title.className = "label"; title.textContent = label;
  const canvas = document.createElement("canvas");
  canvas.lanes = (currentModel && currentModel.drums) ? currentModel.lanes : null;
  canvas.setAttribute("data-testid", canvas.lanes ? "drum-grid" : "piano-roll");
  canvas.chordNotes = chordNotes || [];
  canvas.midi = midi || null;  // what the SoundFont sound renders (rolls without MIDI play the synth)
  const tools = document.createElement("span");
  const button = document.createElement("button");
  button.textContent = "▶"; button.title = "play";
  button.setAttribute("data-testid", "play");
  button.addEventListener("click", () => play(notes.concat(canvas.chordNotes), canvas, duration));
  tools.appendChild(button);
  if (midi) {
    const link = document.createElement("a");
    link.href = midiUrl(midi); link.download = name; link.textContent = " MIDI";
    link.setAttribute("data-testid", "download-step");
    const wav = document.createElement("button");
    wav.textContent = "WAV"; wav.title = "download this row as a WAV (GM SoundFont, at the transport's tempo)";
    wav.setAttribute("data-testid", "download-wav");
    wav.addEventListener("click", () => downloadWav(midi, name.replace(/\.mid$/, ".wav")));
    tools.append(link, wav);
  }
  row.append(title, canvas, tools);
  container.appendChild(row);
  drawRoll(canvas, notes, duration);
}

async function downloadWav(midi, name) {
  const form = new FormData();
  form.append("midi", midi);
  form.append("qpm", String(120 / tempoScale()));
  try {
    const response = await fetch("/api/render", { method: "POST", body: form });
    if (!response.ok) throw new Error((await response.json()).error || `the server answered ${response.status}`);
    const link = document.createElement("a");
    link.href = URL.createObjectURL(await response.blob()); link.download = name || "row.wav";
    document.body.appendChild(link); link.click(); link.remove();
  } catch (err) { showError(err.message); }
}

function fileOrExample(form, key, input, select) {
  if (input.files.length) form.append(key, input.files[0]);
  else form.append(`example_${key}`, select.value);
}

async function interpolate() {
  showError(""); stop();
  const form = new FormData();
  fileOrExample(form, "a", $("file-a"), $("example-a"));
  fileOrExample(form, "b", $("file-b"), $("example-b"));
  form.append("steps", $("steps").value);
  form.append("model", $("model").value);
  if ($("path-temperature").value !== "") form.append("temperature", $("path-temperature").value);
  form.append("seed", $("path-seed").value || "0");
  form.append("bar_a", $("bar-a").value || "0");
  form.append("bar_b", $("bar-b").value || "0");
  if (!$("chords-label").hidden) form.append("chords", $("chords").value);
  $("interpolate").disabled = true;
  try {
    const result = await api("/api/interpolate", form);
    const container = $("results");
    container.innerHTML = "";
    const duration = Math.max(...result.steps.map((s) => durationOf(s.notes)), durationOf(result.inputs[0].notes),
                              durationOf(result.chords || []));
    // the inputs as they were read, then the path: its ends are the model's reconstructions of them
    addRoll(container, "A (input)", result.inputs[0].notes, duration, null, "", result.chords);
    result.steps.forEach((step, i) =>
      addRoll(container, i === 0 ? "0 (A, rebuilt)" : i === result.steps.length - 1 ? `${i} (B, rebuilt)` : `${i}`,
              step.notes, duration, step.midi, `step_${String(i).padStart(2, "0")}.mid`, result.chords));
    addRoll(container, "B (input)", result.inputs[1].notes, duration, null, "", result.chords);
    $("model-info").textContent = result.notes.length ? `played: ${result.notes.join("; ")}` : "";
    pathMidi = result.midi;
    const link = $("download-path");
    link.href = midiUrl(result.midi); link.hidden = false;
    const gap = 2.0;  // the path plays the steps one after another, a bar apart
    const pathNotes = [];
    result.steps.forEach((step, i) => step.notes.forEach(([p, s, e]) => pathNotes.push([p, s + i * (duration + gap),
                                                                                        e + i * (duration + gap)])));
    const pathLength = result.steps.length * (duration + gap);
    addRoll(container, "whole path", pathNotes, pathLength, result.midi, "path.mid");  // its MIDI and WAV too
    const pathCanvas = container.querySelectorAll("canvas")[result.steps.length + 2];
    $("play-path").disabled = false;
    $("play-path").onclick = () => play(pathNotes, pathCanvas, pathLength);
  } catch (err) {
    $("results").innerHTML = "";  // results of an earlier request no longer answer this one
    $("play-path").disabled = true;
    $("download-path").hidden = true;
    showError(err.message);
  } finally {
    $("interpolate").disabled = false;
  }
}

async function similarToA() {
  showError(""); stop();
  const form = new FormData();
  fileOrExample(form, "a", $("file-a"), $("example-a"));
  form.append("similarity", $("similarity").value);
  form.append("model", $("model").value);
  try {
    const result = await api("/api/similar", form);
    const container = $("results");
    container.innerHTML = "";
    const duration = Math.max(...result.samples.map((s) => durationOf(s.notes)), durationOf(result.input.notes));
    addRoll(container, "A", result.input.notes, duration, null, "");
    result.samples.forEach((s, i) => addRoll(container, `similar ${i}`, s.notes, duration, s.midi, `similar_${i}.mid`));
  } catch (err) { showError(err.message); }
}

async function sample() {
  showError(""); stop();
  const form = new FormData();
  form.append("n", "4");
  form.append("temperature", $("temperature").value);
  form.append("model", $("model").value);
  form.append("seed", String(Math.floor(Math.random() * 1e6)));
  if (!$("chords-label").hidden) form.append("chords", $("chords").value);
  try {
    const result = await api("/api/sample", form);
    const container = $("samples");
    container.innerHTML = "";
    const duration = Math.max(...result.samples.map((s) => durationOf(s.notes)), durationOf(result.chords || []));
    result.samples.forEach((s, i) => addRoll(container, `sample ${i}`, s.notes, duration, s.midi, `sample_${i}.mid`,
                                             result.chords));
  } catch (err) { showError(err.message); }
}

function showAttributes(models) {
  // a slider only for a vector measured to move its attribute, in the attribute's musical unit: the page sends
  // the amount of the vector that moves it that far (the model's measured change per unit of the vector)
  const model = models.find((m) => m.name === $("model").value) || models[0];
  const sliders = (model && model.sliders) || [];
  $("chords-label").hidden = !(model && model.chords);
  $("attributes-panel").hidden = sliders.length === 0;
  const box = $("attribute-sliders");
  box.innerHTML = "";
  for (const { name, unit, per_unit: perUnit } of sliders) {
    const label = document.createElement("label");
    label.textContent = `${name.replace(/_/g, " ")} (${unit}) `;
    const reach = Math.abs(perUnit) * 2;  // two units of the vector either way
    const step = reach / 8;
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", min: String(-reach), max: String(reach), step: String(step), value: "0" });
    slider.dataset.attribute = name;
    slider.dataset.perUnit = String(perUnit);
    slider.setAttribute("data-testid", `attribute-${name}`);
    const value = document.createElement("output");
    value.textContent = "0";
    slider.addEventListener("input", () => {
      const change = Number(slider.value);
      value.textContent = `${change > 0 ? "+" : ""}${change.toFixed(change % 1 ? 1 : 0)} ${unit}`;
    });
    label.append(slider, value);
    box.appendChild(label);
  }
}

async function transformA() {
  showError(""); stop();
  const form = new FormData();
  fileOrExample(form, "a", $("file-a"), $("example-a"));
  form.append("model", $("model").value);
  for (const slider of $("attribute-sliders").querySelectorAll("input")) {
    const amount = Number(slider.value) / Number(slider.dataset.perUnit);  // musical units -> the vector's
    if (amount !== 0) form.append(`amount_${slider.dataset.attribute}`, Math.max(-4, Math.min(4, amount)).toFixed(3));
  }
  try {
    const result = await api("/api/transform", form);
    const container = $("transformed");
    container.innerHTML = "";
    const duration = Math.max(durationOf(result.input.notes), durationOf(result.transformed.notes));
    addRoll(container, "A", result.input.notes, duration, null, "");
    addRoll(container, "reconstruction", result.reconstruction.notes, duration, null, "");
    addRoll(container, "transformed", result.transformed.notes, duration, result.transformed.midi, "transformed.mid");
  } catch (err) { showError(err.message); }
}

async function groove() {
  showError(""); stop();
  const form = new FormData();
  fileOrExample(form, "a", $("file-groove"), $("example-groove"));
  form.append("model", $("model").value);
  form.append("temperature", $("groove-temperature").value || "0");
  form.append("seed", $("groove-seed").value || "0");
  try {
    const result = await api("/api/groove", form);
    const container = $("grooved");
    container.innerHTML = "";
    const duration = Math.max(durationOf(result.input.notes), durationOf(result.output.notes));
    addRoll(container, "input", result.input.notes, duration, null, "");
    addRoll(container, result.job === "humanize" ? "humanized" : "drumified", result.output.notes, duration,
            result.output.midi, `${result.job}.mid`);
  } catch (err) { showError(err.message); }
}

// --- Melody Mixer and pad: one decoded point at a time; while a request is out, only the latest move waits ---
const pointRequests = { mix: { busy: false, again: false }, pad: { busy: false, again: false } };
let padAt = { x: 0.5, y: 0.5 };

function pointForm(kind) {
  const form = new FormData();
  fileOrExample(form, "a", $("file-a"), $("example-a"));
  fileOrExample(form, "b", $("file-b"), $("example-b"));
  form.append("model", currentModel.name);
  form.append("temperature", $("mix-temperature").value);
  form.append("seed", $("mix-seed").value);
  if (kind === "mix") form.append("x", $("mix").value);
  else {
    form.append("x", padAt.x.toFixed(3)); form.append("y", padAt.y.toFixed(3));
    form.append("example_c", $("example-c").value); form.append("example_d", $("example-d").value);
  }
  return form;
}

async function requestPoint(kind) {
  const state = pointRequests[kind];
  if (state.busy || !currentModel) { state.again = true; return; }  // a move before the page is ready waits
  state.busy = true;
  try {
    const result = await api("/api/point", pointForm(kind));
    const box = $(kind === "mix" ? "mix-result" : "pad-result");
    box.innerHTML = "";
    const label = kind === "mix" ? `A ${(1 - result.x).toFixed(2)} : B ${result.x.toFixed(2)}`
      : `pad (${result.x.toFixed(2)}, ${result.y.toFixed(2)})`;
    addRoll(box, label, result.notes, durationOf(result.notes, 4), result.midi, `${kind}.mid`);
    showError("");
  } catch (err) { showError(err.message); }
  state.busy = false;
  if (state.again) { state.again = false; requestPoint(kind); }
}

function movePad(x, y) {
  padAt = { x: Math.min(1, Math.max(0, x)), y: Math.min(1, Math.max(0, y)) };
  $("pad-dot").style.left = `${padAt.x * 100}%`; $("pad-dot").style.top = `${padAt.y * 100}%`;
  $("pad").setAttribute("aria-valuenow", Math.round(padAt.x * 100));
  $("pad").setAttribute("aria-valuetext", `x ${padAt.x.toFixed(2)}, y ${padAt.y.toFixed(2)}`);
  requestPoint("pad");
}

function startMixer() {
  $("mix").addEventListener("input", () => { $("mix-value").textContent = $("mix").value; requestPoint("mix"); });
  $("reseed").addEventListener("click", () => {
    $("mix-seed").value = Math.floor(Math.random() * 1e6);
    requestPoint("mix");
  });
  $("pad").addEventListener("click", (event) => {
    const box = $("pad").getBoundingClientRect();
    movePad((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });
  $("pad").addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, -0.1], ArrowDown: [0, 0.1] };
    if (!moves[event.key]) return;
    event.preventDefault();
    movePad(padAt.x + moves[event.key][0], padAt.y + moves[event.key][1]);
  });
}

// --- multitrack: the server renders each piece (picture, WAV through a GM SoundFont, MIDI) ---
function multitrackForm(action) {
  const form = new FormData();
  form.append("action", action);
  form.append("model", currentModel.name);
  for (const [field, id] of [["bars", "mt-bars"], ["temperature", "mt-temperature"], ["seed", "mt-seed"]]) {
    form.append(field, $(id).value);
  }
  if (currentModel.chords) form.append("chords", $("mt-chords").value);
  if ($("mt-file").files[0]) form.append("a", $("mt-file").files[0]);
  else form.append("example_a", $("mt-example").value);
  if ($("mt-measure-a").value !== "") form.append("measure_a", $("mt-measure-a").value);
  if ($("mt-measure-b").value !== "") form.append("measure_b", $("mt-measure-b").value);
  return form;
}

function showPieces(pieces) {
  const box = $("mt-results");
  box.innerHTML = "";
  for (const piece of pieces) {
    const figure = document.createElement("figure");
    const image = new Image();
    image.src = `data:image/png;base64,${piece.png}`;
    image.alt = `${piece.title}: the instruments' notes, drums in lanes`;
    image.style.maxWidth = "100%";
    const caption = document.createElement("figcaption");
    caption.textContent = piece.title;
    const sound = document.createElement("audio");
    sound.controls = true; sound.loop = false;
    sound.src = `data:audio/wav;base64,${piece.wav}`;
    sound.setAttribute("aria-label", `play ${piece.title}`);
    const link = document.createElement("a");
    link.href = midiUrl(piece.midi); link.download = "multitrack.mid"; link.textContent = "MIDI";
    const frame = document.createElement("div");
    frame.className = "piece";
    const head = document.createElement("div");
    head.className = "playhead"; head.hidden = true; head.setAttribute("data-testid", "mt-playhead");
    frame.append(image, head);
    followAudio(sound, head, piece.axis);
    figure.append(caption, frame, sound, link);
    box.append(figure);
  }
}

function followAudio(sound, head, axis) {
  // a playhead over the server's picture: its time axis spans axis[0]..axis[1] of the width, axis[2] sixteenths,
  // played at 120 quarter notes a minute (8 sixteenths a second)
  if (!axis || axis.length < 3) return;
  const [left, right, steps] = axis;
  const tick = () => {
    const step = sound.currentTime * 8;
    head.hidden = sound.paused || step > steps;
    head.style.left = `${(left + Math.min(step / steps, 1) * (right - left)) * 100}%`;
    if (!sound.paused) requestAnimationFrame(tick);
  };
  sound.addEventListener("play", () => requestAnimationFrame(tick));
  sound.addEventListener("pause", () => { head.hidden = true; });
}

async function multitrackAction(action) {
  $("mt-status").textContent = "working...";
  try {
    const result = await api("/api/multitrack", multitrackForm(action));
    if (action === "measures") {
      for (const id of ["mt-measure-a", "mt-measure-b"]) {
        $(id).innerHTML = "";
        for (const bar of result.measures) $(id).add(new Option(`bar ${bar}`, bar));
      }
      $("mt-measure-b").selectedIndex = Math.min(1, result.measures.length - 1);
      $("mt-results").innerHTML = "";
      $("mt-status").textContent = `Parsed ${result.measures.length} measures of ${result.input}`;
      return;
    }
    showPieces(result.pieces);
    $("mt-status").textContent = "";
  } catch (err) {
    $("mt-results").innerHTML = "";  // no stale pieces under a new error
    $("mt-status").textContent = err.message;
  }
}

async function configureMultitrack() {
  const on = Boolean(currentModel && currentModel.instruments);
  $("multitrack-panel").hidden = !on;
  $("interpolate-panel").hidden = on;  // a multitrack model's interpolation and samples are in its own panel
  $("sample-panel").hidden = on;
  $("mt-chords-label").hidden = !(on && currentModel.chords);
  $("mt-results").innerHTML = ""; $("mt-status").textContent = "";
  if (on && !$("mt-example").options.length) {
    for (const name of await api("/api/multitrack/examples")) $("mt-example").add(new Option(name, name));
  }
}

const RESULTS = ["results", "samples", "transformed", "grooved", "mix-result", "pad-result", "mt-results"];
const RESULTS_OF = {  // what each input's results are: a new input clears them (its own status line too)
  a: ["results", "transformed", "mix-result", "pad-result"], b: ["results", "mix-result", "pad-result"],
  c: ["pad-result"], d: ["pad-result"], groove: ["grooved"],
};

function clearResults(ids) {
  for (const id of ids) $(id).innerHTML = "";
  showError("");
}

async function configure(models) {
  // the examples, panels and pictures that fit the picked model: beats for drum models, melodies otherwise
  currentModel = models.find((m) => m.name === $("model").value) || models[0];
  stop();
  clearResults(RESULTS);  // another model: nothing of the previous one's stays on the page
  const drums = Boolean(currentModel && currentModel.drums);
  const examples = await api(`/api/examples?kind=${drums ? "drums" : "melody"}`);
  for (const id of ["example-a", "example-b", "example-groove"]) $(id).innerHTML = "";
  for (const id of ["example-c", "example-d"]) $(id).innerHTML = "";
  examples.forEach((name, i) => {
    $("example-a").add(new Option(name, name, i === 0, i === 0));
    $("example-b").add(new Option(name, name, i === 1, i === 1));
    $("example-groove").add(new Option(name, name, i === 0, i === 0));
    $("example-c").add(new Option(name, name, i === 2 % examples.length, i === 2 % examples.length));
    $("example-d").add(new Option(name, name, i === 3 % examples.length, i === 3 % examples.length));
  });
  // the mixer and the pad: for models without chords, a GrooVAE job or several instruments
  $("mixer-panel").hidden = Boolean(currentModel.chords || currentModel.job || currentModel.instruments);
  $("mix-result").innerHTML = ""; $("pad-result").innerHTML = "";
  const job = currentModel && currentModel.job;
  $("groove-panel").hidden = !job;
  $("groove").textContent = job === "drumify" ? "Drumify" : "Humanize";
  $("interpolate-title").textContent = drums ? "Interpolate between two beats" : "Interpolate between two melodies";
  $("model-info").textContent = `${models.length} model(s), ${examples.length} examples`;
  showAttributes(models);
  await configureMultitrack();
}

function ready(yes) {
  // the action buttons work only once the models and examples they need are on the page: until then they are
  // disabled, so that no click is lost
  for (const button of document.querySelectorAll("button.action")) button.disabled = !yes;
}

async function start() {
  $("groove").addEventListener("click", groove);
  $("interpolate").addEventListener("click", interpolate);
  $("similar").addEventListener("click", similarToA);
  $("sample").addEventListener("click", sample);
  $("transform").addEventListener("click", transformA);
  $("stop").addEventListener("click", () => { $("loop").checked = false; stop(); });
  $("path-reseed").addEventListener("click", () => {
    $("path-seed").value = Math.floor(Math.random() * 1e6);
    if ($("path-temperature").value === "" || Number($("path-temperature").value) === 0) $("path-temperature").value = "0.5";
    interpolate();  // a new seed only changes a path decoded at a temperature above 0
  });
  startMixer();
  $("mt-reseed").addEventListener("click", () => { $("mt-seed").value = Math.floor(Math.random() * 1e6); });
  $("groove-reseed").addEventListener("click", () => {
    $("groove-seed").value = Math.floor(Math.random() * 1e6);
    if (Number($("groove-temperature").value) === 0) $("groove-temperature").value = "0.5";  // a seed needs one
  });
  for (const action of ["samples", "style", "morph", "measures", "reconstruct", "interpolate"]) {
    $(`mt-${action}`).addEventListener("click", () => multitrackAction(action));
  }
  for (const [input, ids] of Object.entries(RESULTS_OF)) {
    for (const id of [`file-${input}`, `example-${input}`]) {
      if ($(id)) $(id).addEventListener("change", () => { stop(); clearResults(ids); });
    }
  }
  for (const id of ["mt-file", "mt-example"]) {  // another input: its measures must be listed again
    $(id).addEventListener("change", () => { $("mt-measure-a").innerHTML = ""; $("mt-measure-b").innerHTML = ""; });
  }
  $("temperature").addEventListener("input", () => { $("temperature-value").textContent = $("temperature").value; });
  try {
    const models = await api("/api/models");
    for (const m of models) $("model").add(new Option(`${m.name} (${m.bars} bars)`, m.name, m.default, m.default));
    await configure(models);
    ready(true);
    for (const kind of Object.keys(pointRequests)) {
      if (pointRequests[kind].again) { pointRequests[kind].again = false; requestPoint(kind); }
    }
    $("model").addEventListener("change", () => {
      ready(false);
      configure(models).then(() => ready(true), (err) => showError(err.message));
    });
  } catch (err) { showError(err.message); }
}

start();
