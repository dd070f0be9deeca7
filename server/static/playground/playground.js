// pulse-server playground: upload a file to POST /waves/v1/stt/ or stream the microphone to WS /waves/v1/stt/live.
"use strict";

const $ = (id) => document.getElementById(id);
const FLAGS = ["diarize", "gender_detection", "emotion_detection", "redact_pii", "redact_pci"];
const LIVE_FLAGS = ["diarize", "redact_pii", "redact_pci"];
const SAMPLE_RATE = 16000;
const FRAME_SAMPLES = 1600; // 100 ms per WebSocket frame
const LOW_CONFIDENCE = 0.5;
// The capture tap runs on the audio thread; it is inlined so the page needs no extra file or CDN.
const TAP_SOURCE = `class PulseTap extends AudioWorkletProcessor {
  process(inputs) { const ch = inputs[0] && inputs[0][0]; if (ch) this.port.postMessage(ch.slice(0)); return true; }
}
registerProcessor("pulse-tap", PulseTap);`;

let live = null; // {ws, ctx, stream, node, pending: Float32Array[]}

function setStatus(text, kind = "") {
  const el = $("status");
  el.textContent = text;
  el.className = "status " + kind;
}

function apiKey() {
  const key = $("api-key").value.trim();
  localStorage.setItem("pulse-playground-key", key);
  return key;
}

function params(flags) {
  const query = new URLSearchParams({ model: $("model").value, word_timestamps: "true" });
  const language = $("language").value.trim();
  if (language) query.set("language", language);
  for (const flag of flags) if ($(flag).checked) query.set(flag, "true");
  return query;
}

function clearOutput() {
  $("finals").replaceChildren();
  $("partial").textContent = "";
  $("summary").replaceChildren();
}

function badge(text) {
  const el = document.createElement("span");
  el.className = "badge";
  el.textContent = text;
  return el;
}

function wordSpan(word) {
  const el = document.createElement("span");
  el.className = "word";
  el.textContent = word.word;
  const confidence = typeof word.confidence === "number" ? word.confidence : null;
  el.title = `${word.start.toFixed(2)}–${word.end.toFixed(2)} s` +
    (confidence !== null ? ` · confidence ${confidence.toFixed(2)}` : "") +
    (word.speaker !== undefined ? ` · speaker ${word.speaker}` : "");
  if (confidence !== null && confidence < LOW_CONFIDENCE) el.classList.add("low");
  if (/^\[[A-Z_]+\]/.test(word.word)) el.classList.add("redacted");
  return el;
}

function addFinal(text, words, extra = {}) {
  const row = document.createElement("div");
  row.className = "final";
  const speaker = words.length && words[0].speaker !== undefined ? words[0].speaker : extra.speaker;
  if (speaker !== undefined && speaker !== null) row.classList.add(`spk-${speaker % 6}`);
  const when = document.createElement("span");
  when.className = "when";
  when.textContent = words.length
    ? `${words[0].start.toFixed(2)}–${words[words.length - 1].end.toFixed(2)} s` + (speaker !== undefined ? ` · S${speaker}` : "")
    : "";
  row.append(when);
  for (const key of ["gender", "emotion"]) if (extra[key]) row.append(badge(`${key}: ${extra[key]}`));
  if (words.length) {
    words.forEach((w, i) => { if (i) row.append(" "); row.append(wordSpan(w)); });
  } else {
    row.append(text);
  }
  $("finals").append(row);
}

function summarise(body) {
  const parts = [];
  if (body.language) parts.push(`language: ${body.language}`);
  if (body.metadata && body.metadata.duration !== undefined) parts.push(`duration: ${body.metadata.duration} s`);
  if (body.gender) parts.push(`gender: ${body.gender}`);
  if (body.emotions) {
    const top = Object.entries(body.emotions).sort((a, b) => b[1] - a[1])[0];
    if (top) parts.push(`emotion: ${top[0]} (${Number(top[1]).toFixed(2)})`);
  }
  if (body.redacted_entities && body.redacted_entities.length) parts.push(`redacted: ${body.redacted_entities.join(", ")}`);
  $("summary").replaceChildren(...parts.map(badge));
}

function showFile(body) {
  summarise(body);
  const words = body.words || [];
  const utterances = body.utterances || [];
  if (!utterances.length) { addFinal(body.transcription || "", words); return; }
  for (const u of utterances) {
    const inside = words.filter((w) => w.start >= u.start - 1e-3 && w.end <= u.end + 1e-3);
    addFinal(u.text, inside, u);
  }
}

async function upload() {
  const file = $("file").files[0];
  if (!file) { setStatus("choose a file first", "error"); return; }
  clearOutput();
  setStatus(`transcribing ${file.name} …`);
  const headers = { "Content-Type": "application/octet-stream" };
  const key = apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  try {
    const response = await fetch(`/waves/v1/stt/?${params(FLAGS)}`, { method: "POST", headers, body: file });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || body.message || response.statusText);
    showFile(body);
    setStatus("done");
  } catch (error) {
    setStatus(`error: ${error.message}`, "error");
  }
}

function toPcm16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.max(-1, Math.min(1, samples[i])) * 0x7fff;
  return out.buffer;
}

function resample(samples, from) {
  if (from === SAMPLE_RATE) return samples;
  const ratio = from / SAMPLE_RATE;
  const out = new Float32Array(Math.floor(samples.length / ratio));
  for (let i = 0; i < out.length; i++) out[i] = samples[Math.floor(i * ratio)];
  return out;
}

function onLiveMessage(event) {
  const message = JSON.parse(event.data);
  if (message.type !== "transcription") return;
  if (message.is_final) {
    $("partial").textContent = "";
    if (message.transcript) addFinal(message.transcript, message.words || []);
    if (message.redacted_entities && message.redacted_entities.length) summarise(message);
  } else {
    $("partial").textContent = message.transcript;
  }
  if (message.is_last) { setStatus("stopped"); live && live.ws.close(); live = null; }
}

async function startMic() {
  clearOutput();
  const query = params(LIVE_FLAGS);
  query.set("encoding", "linear16");
  query.set("sample_rate", String(SAMPLE_RATE));
  const key = apiKey();
  if (key) query.set("token", key); // browsers cannot set headers on a WebSocket
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/waves/v1/stt/live?${query}`);
  ws.binaryType = "arraybuffer";
  ws.onmessage = onLiveMessage;
  ws.onerror = () => setStatus("socket error (check the key and options)", "error");
  ws.onclose = (event) => { if (live && live.ws === ws) { stopCapture(); live = null; setStatus(`closed (${event.code})`); } };
  await new Promise((resolve, reject) => { ws.onopen = resolve; setTimeout(() => reject(new Error("socket did not open")), 10000); });
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const ctx = new AudioContext({ sampleRate: SAMPLE_RATE });
  await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([TAP_SOURCE], { type: "application/javascript" })));
  const node = new AudioWorkletNode(ctx, "pulse-tap");
  live = { ws, ctx, stream, node, pending: [] , pendingLength: 0 };
  node.port.onmessage = (event) => {
    if (!live || ws.readyState !== WebSocket.OPEN) return;
    const chunk = resample(event.data, ctx.sampleRate);
    live.pending.push(chunk);
    live.pendingLength += chunk.length;
    if (live.pendingLength < FRAME_SAMPLES) return;
    const frame = new Float32Array(live.pendingLength);
    let offset = 0;
    for (const part of live.pending) { frame.set(part, offset); offset += part.length; }
    live.pending = [];
    live.pendingLength = 0;
    ws.send(toPcm16(frame));
  };
  ctx.createMediaStreamSource(stream).connect(node);
  $("mic-start").disabled = true;
  $("mic-stop").disabled = false;
  setStatus("listening", "live");
}

function stopCapture() {
  if (!live) return;
  live.stream.getTracks().forEach((t) => t.stop());
  live.node.disconnect();
  live.ctx.close();
  $("mic-start").disabled = false;
  $("mic-stop").disabled = true;
}

function stopMic() {
  if (!live) return;
  stopCapture();
  setStatus("finishing …");
  live.ws.send(JSON.stringify({ type: "close_stream" }));
}

function init() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  $("api-key").value = fromHash || localStorage.getItem("pulse-playground-key") || "";
  $("upload").onclick = upload;
  $("mic-start").onclick = () => startMic().catch((error) => { stopCapture(); live = null; setStatus(`error: ${error.message}`, "error"); });
  $("mic-stop").onclick = stopMic;
}

init();
