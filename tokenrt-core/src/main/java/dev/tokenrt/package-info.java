/** Token Runtime core: the neutral request model, token accounting, pricing and usage. */
package dev.tokenrt;
