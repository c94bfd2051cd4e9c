#!/usr/bin/env node
// The bin stays outside dist/ so that installing the workspace links it before the first build.
import "../dist/main.js";
