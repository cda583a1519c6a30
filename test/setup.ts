// Shared mocha setup: decorator metadata polyfill for tsyringe, and quiet tfjs.
import 'reflect-metadata';
