// Chat rooms page: namespace /chat carries the rooms, namespace /user announces who is online.
// Uses only API that the socket.io 2.x and 4.x clients share.
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var messages = $('messages');
  var users = $('users');

  var chat = io('/chat');
  var userSocket = null;   // opened on the first join, once we know the name
  var myName = null;       // the name given at the last join
  var myRoom = null;       // the room we are in, or null

  function setConnection(connected) {
    $('connection').textContent = connected ? 'Connected' : 'Disconnected';
    $('connection').className = 'pill ' + (connected ? 'on' : 'off');
  }

  function append(list, item) {
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function showAnnouncement(text) {
    var li = document.createElement('li');
    li.className = 'note';
    li.textContent = text;
    append(messages, li);
  }

  function showChat(username, text) {
    var li = document.createElement('li');
    var who = document.createElement('b');
    who.textContent = username;
    li.appendChild(who);
    li.appendChild(document.createTextNode(': ' + text));
    append(messages, li);
  }

  function setRoom(room) {
    myRoom = room;
    var inRoom = room !== null;
    $('leave').disabled = !inRoom;
    $('text').disabled = !inRoom;
    $('send').disabled = !inRoom;
    $('text').placeholder = inRoom ? 'Message #' + room : 'Join a room to chat';
    $('room-status').textContent = inRoom
      ? 'You are in room “' + room + '” as ' + myName + '.'
      : 'You are not in a room.';
    if (inRoom) $('text').focus();
  }

  function leave() {
    if (myRoom === null) return;
    chat.emit('leave', { username: myName, room: myRoom });
    setRoom(null);
  }

  // --- namespace /chat ---------------------------------------------------

  var wasConnected = false;
  chat.on('connect', function () {
    setConnection(true);
    if (wasConnected && chat.recovered) {
      // Connection state recovery (client 4.6+): same socket, same room, missed messages
      // delivered just before this.
      showAnnouncement('Reconnected: back in the room, with what you missed.');
    } else if (wasConnected && myRoom !== null) {
      // A fresh socket (the server did not keep ours): join the room again.
      showAnnouncement('Reconnected: joining the room again.');
      chat.emit('join', { username: myName, room: myRoom });
    }
    wasConnected = true;
    // A plain message, as the seed's page sends one when it connects.
    chat.send({ data: 'Connected to the server' });
  });
  chat.on('disconnect', function () { setConnection(false); });

  // plain `send` from the server: room announcements
  chat.on('message', function (text) { showAnnouncement(String(text)); });
  chat.on('chat', function (msg) { showChat(msg.username, msg.text); });

  $('join-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('name').value.trim();
    var room = $('room').value.trim();
    if (!name || !room) return;
    if (myRoom === room && myName === name) return;
    leave();
    myName = name;
    chat.emit('join', { username: name, room: room });
    setRoom(room);
    if (userSocket === null) connectUser();
  });

  $('leave').addEventListener('click', leave);

  // Enter in #text submits this form, like clicking #send
  $('send-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = $('text').value;
    if (myRoom === null || !text.trim()) return;
    chat.emit('chat', { room: myRoom, text: text });
    $('text').value = '';
    $('text').focus();
  });

  // --- namespace /user ---------------------------------------------------

  var shownUsers = Object.create(null);
  function showUser(username) {
    if (shownUsers[username]) return;
    shownUsers[username] = true;
    var li = document.createElement('li');
    li.textContent = username;
    if (username === myName) {
      var you = document.createElement('span');
      you.className = 'muted';
      you.textContent = ' (you)';
      li.appendChild(you);
    }
    append(users, li);
  }

  function connectUser() {
    userSocket = io('/user');
    userSocket.on('connect', function () {
      userSocket.emit('user-connected', { username: myName });
    });
    // the server asks every /user socket to acknowledge a newcomer, with its user's name
    userSocket.on('new-user', function (data, ack) {
      showUser(data.username);
      if (typeof ack === 'function') ack(myName);
    });
    // how many pages acknowledged our arrival, and who was online already
    userSocket.on('seen-by', function (data) {
      $('seen-by').textContent = 'Seen by ' + data.count;
      (data.users || []).forEach(showUser);
    });
  }
})();
