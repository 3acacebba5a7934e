// The psoas coach widget: chat over socket.io, spoken replies, push-to-talk,
// and a guided-stretch panel with hands-free voice control. This module only
// wires one controller per feature to the page; what the server expects
// (messages, events, URLs, statuses) comes from ./contract.js.

import { Banner } from "./banner.js";
import { ChatController } from "./chat-controller.js";
import { Connection } from "./connection.js";
import { HandsFreeController } from "./hands-free-controller.js";
import { PushToTalkController } from "./push-to-talk-controller.js";
import { RoutineController } from "./routine-controller.js";
import { SpeechController } from "./speech-controller.js";
import { store } from "./store.js";

const $ = (selector) => document.querySelector(selector);

const sessionId = store.sessionId();
const connection = new Connection(sessionId);
const banner = new Banner({ root: $("#banner"), text: $("#banner-text"), action: $("#banner-action") });
const speech = new SpeechController({ audio: $("#coach-audio"), toggle: $("#speaker-toggle"), banner, store });
const routine = new RoutineController({ root: $("#routine"), connection, store });
const chat = new ChatController({
  elements: {
    list: $("#messages"),
    scroller: $("#chat"),
    typing: $("#typing"),
    connection: $("#connection"),
    composer: $("#composer"),
    input: $("#message-input"),
  },
  connection,
  store,
  speech,
  routine,
  banner,
});
const handsFree = new HandsFreeController({
  elements: {
    toggle: $("#hands-free-toggle"),
    label: $("#hands-free-label"),
    status: $("#hands-free-status"),
    level: $("#level"),
  },
  sessionId,
  chat,
  speech,
  routine,
  store,
});
const pushToTalk = new PushToTalkController({
  button: $("#mic-button"),
  status: $("#recording-status"),
  sessionId,
  chat,
  speech,
  routine,
  banner,
});

routine.addEventListener("command", (event) => chat.send(event.detail.payload, event.detail.shown));
pushToTalk.addEventListener("recording", (event) => handsFree.suspend(event.detail.on));
// a stretch started by voice goes on hands-free: the person is on the floor
pushToTalk.addEventListener("routinestarted", () => handsFree.start());

chat.restore();
routine.restore();
connection.start();
handsFree.watch();

// read-only state for diagnostics and the browser tests
window.psoasCoach = {
  sessionId,
  get routine() {
    return routine.routine;
  },
  get remaining() {
    return routine.remaining();
  },
  get played() {
    return speech.played;
  },
  get listening() {
    return handsFree.state;
  },
  get voiceLog() {
    return handsFree.log.map((entry) => ({ ...entry }));
  },
};
