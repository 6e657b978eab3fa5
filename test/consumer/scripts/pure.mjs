// Core-only install, ESM: '@mcsc/graph' (pure entry) and '@mcsc/core' without any onnxruntime.
import { createRequire } from 'node:module';
import * as g from '@mcsc/graph';
import * as core from '@mcsc/core';
import ndarray from 'ndarray';
import checkPure from './pure-checks.cjs';
import { main } from './lib.cjs';

main(() => console.log(`ESM: ${checkPure(g, core, ndarray, createRequire(import.meta.url).resolve)}`));
