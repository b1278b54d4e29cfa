"""A Vega-Lite chart widget that redraws a week by replacing its data, not by drawing afresh.

Solara's own chart widget (``solara.widgets.VegaLite``) waits 100 ms after each new spec and then
compiles and draws the whole chart again; with three charts that took 250-400 ms a step in the
browser. :class:`LiveChart` embeds a chart once per spec (the charts' specs are cached per shape
in :mod:`teaching_app.views`) and afterwards only replaces its named datasets through Vega's
changesets, which redraws in a few tens of milliseconds.

It is an ``ipyvuetify.VuetifyTemplate`` (ipyvuetify's public way to write a widget as a Vue
template), loading Vega from the same offline asset folders as Solara's widget. Each finished
drawing increments the ``data-drawn`` attribute of the chart's element, which the benchmark and
the browser tests wait on.
"""

from __future__ import annotations

import ipyvuetify as v
import traitlets

VUE = r"""
<template>
    <div>
        <div ref="plotElement"></div>
    </div>
</template>
<script>
// A Vega-Lite chart that is embedded once per spec and then only has its named datasets replaced
// in place (Vega's changesets), instead of being compiled and drawn afresh every week. Each
// finished drawing increments data-drawn on the element (the benchmark and the tests wait on it).
module.exports = {
    created() {
        this.queue = this.loadVega();
        this.view = null;
        this.drawn = 0;
    },
    mounted() {
        this.enqueue(() => this.embed());
    },
    destroyed() {
        if (this.view) {
            this.view.finalize();
        }
    },
    unmounted() {
        this.$options.destroyed.call(this);
    },
    watch: {
        spec() {
            this.enqueue(() => this.embed());
        },
        datasets() {
            this.enqueue(() => this.update());
        },
    },
    methods: {
        enqueue(work) {
            this.queue = this.queue.then(work).catch((error) => console.error(error));
        },
        mark() {
            this.drawn += 1;
            this.$refs.plotElement.dataset.drawn = String(this.drawn);
        },
        embed() {
            return new Promise((resolve, reject) => {
                require(['vega-embed'], (vegaEmbed) => {
                    const spec = JSON.parse(JSON.stringify(this.spec));
                    if (this.datasets) {
                        spec.datasets = this.datasets;
                    }
                    if (this.view) {
                        this.view.finalize();
                    }
                    vegaEmbed(this.$refs.plotElement, spec).then((result) => {
                        this.view = result.view;
                        this.mark();
                        resolve();
                    }, reject);
                }, reject);
            });
        },
        update() {
            if (!this.view) {
                return this.embed();
            }
            return new Promise((resolve, reject) => {
                require(['vega'], (vega) => {
                    try {
                        for (const [name, rows] of Object.entries(this.datasets || {})) {
                            // A dataset the chart does not draw (no marks yet) is not in its view.
                            try {
                                this.view.data(name);
                            } catch (missing) {
                                continue;
                            }
                            this.view.change(name, vega.changeset().remove(vega.truthy).insert(rows));
                        }
                        // New data may need wider axes: lay the chart out again (autosize "pad").
                        this.view.resize();
                        this.view.runAsync().then(() => {
                            this.mark();
                            resolve();
                        }, reject);
                    } catch (error) {
                        reject(error);
                    }
                }, reject);
            });
        },
        async loadVega() {
            await this.loadRequire();
            require.config({
                map: {
                    '*': {
                        'vega': `${this.getCdn()}/vega@5/build/vega.min.js`,
                        'vega-lite': `${this.getCdn()}/vega-lite@5/build/vega-lite.min.js`,
                        'vega-embed': `${this.getCdn()}/vega-embed@6/build/vega-embed.min.js`,
                    }
                }
            });
            await new Promise((resolve, reject) => {
                require(['vega', 'vega-lite', 'vega-embed'], () => resolve(), reject);
            });
        },
        getCdn() {
            return this.cdn || (window.solara ? window.solara.cdn : './_solara/cdn');
        },
        loadRequire() {
            if (window.requirejs) {
                return Promise.resolve();
            }
            return new Promise((resolve, reject) => {
                const script = document.createElement('script');
                script.src = `${this.getCdn()}/requirejs@2.3.6/require.js`;
                script.onload = resolve;
                script.onerror = reject;
                document.head.appendChild(script);
            });
        },
    },
}
</script>
"""


class LiveChart(v.VuetifyTemplate):
    """The widget: ``spec`` (a Vega-Lite spec, re-embedded when it changes) and ``datasets``.

    Attributes:
        spec: the spec without its data; setting it embeds the chart afresh.
        datasets: the named datasets (name to a list of rows); setting them redraws in place.
        cdn: where the Vega scripts are served (None: Solara's own asset route).
    """

    template = traitlets.Unicode(VUE).tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    datasets = traitlets.Dict().tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)
