#!/usr/bin/env node
import "../dist/demo/command.js";
